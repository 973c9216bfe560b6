#include "batch/formats/MarkdownReport.h"

#include "batch/formats/BatchText.h"
#include "batch/formats/TreeReport.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::batch {

std::string markdownCell(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' || c == '<' || c == '[' || c == ']') {
            out += '\\';
            out += c;
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string markdownCodeBlock(const std::string& text, const std::string& info)
{
    std::size_t longest = 0, run = 0;
    for (char c : text) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::string body = text;
    if (body.empty() || body.back() != '\n') body += '\n';
    return fence + info + "\n" + body + fence + "\n";
}

namespace {

std::string hangMarkdown(const HangResult& hang)
{
    const auto& tree = hang.tree;
    std::string out = fmt::format("## pyautopsy: the command hung: {}\n\n", markdownCell(hangHeadline(hang)));
    out += fmt::format("{} processes in its tree: {} analysed, {} not CPython, {} exited; snapshot in {:.2f} s; then "
                       "terminated.\n\n", tree.processes.size(), tree.count(LiveStatus::Analysed),
                       tree.count(LiveStatus::NotPython), tree.count(LiveStatus::Exited), tree.seconds);
    if (!tree.groups.empty()) {
        out += "| # | processes | diagnosis | top Python frame (main thread) |\n|---:|---:|---|---|\n";
        for (std::size_t g = 0; g < tree.groups.size(); ++g) {
            const auto& group = tree.groups[g];
            out += fmt::format("| {} | {} | {} | {} |\n", g + 1, group.members.size(), markdownCell(group.findingId),
                               group.topFrames.empty() ? std::string("(no Python frames)")
                                                       : markdownCell(group.topFrames.front()));
        }
        out += "\n";
    }
    if (const std::string findings = formatTreeFindings(tree); !findings.empty())
        out += "### Across processes\n\n" + markdownCodeBlock(findings) + "\n";
    out += "### Process tree\n\n" + markdownCodeBlock(formatTreeLines(tree)) + "\n";
    for (const auto& p : tree.processes) {
        if (p.status != LiveStatus::Analysed) continue;
        out += fmt::format("<details><summary>Process {}{}</summary>\n\n", p.pid,
                           p.multiprocessingName ? " " + markdownCell(*p.multiprocessingName) : std::string());
        out += markdownCodeBlock(p.text) + "\n</details>\n\n";
    }
    return out;
}

}  // namespace

std::string formatBatchMarkdown(const BatchResult& result)
{
    std::string out;
    if (result.hang) out += hangMarkdown(*result.hang);
    if (result.cores.empty()) {
        out += "## pyautopsy: no core files found\n\n";
    } else {
        out += fmt::format("## pyautopsy: {} crash group{} in {} core file{}\n\n", result.groups.size(),
                           result.groups.size() == 1 ? "" : "s", result.cores.size(), result.cores.size() == 1 ? "" : "s");
    }
    out += fmt::format("{} analysed, {} unreadable, {} skipped; {:.1f} s with -j{}.\n\n", result.analysedCount(),
                       result.unreadableCount(), result.skipped.size(), result.seconds, result.jobs);

    if (!result.groups.empty()) {
        out += "| # | cores | signal | diagnosis | top Python frame |\n|---:|---:|---|---|---|\n";
        for (std::size_t g = 0; g < result.groups.size(); ++g) {
            const auto& group = result.groups[g];
            out += fmt::format("| {} | {} | {} | {} | {} |\n", g + 1, group.members.size(),
                               markdownCell(group.signal.empty() ? "?" : group.signal), markdownCell(group.findingId),
                               group.topFrames.empty() ? std::string("(no Python frames)")
                                                       : markdownCell(group.topFrames.front()));
        }
        out += "\n";
    }
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        const auto& group = result.groups[g];
        out += fmt::format("### Group {}: {}\n\n", g + 1, markdownCell(groupTitle(group)));
        std::string frames;
        for (const auto& frame : group.topFrames) frames += frame + "\n";
        if (!frames.empty()) out += "Top Python frames, most recent first:\n\n" + markdownCodeBlock(frames) + "\n";
        out += "<details><summary>Evidence</summary>\n\n" + markdownCodeBlock(groupEvidence(result, group)) + "\n";
        for (auto member : group.members) {
            for (const auto& dump : result.cores[member].logs)
                out += fmt::format("From {} line {}:\n\n", markdownCell(dump.logPath), dump.line) +
                       markdownCodeBlock(dump.text) + "\n";
        }
        out += "</details>\n\n";
    }
    if (const std::string tree = formatProcessTree(result); !tree.empty())
        out += "### Process tree\n\n" + markdownCodeBlock(tree) + "\n";
    if (result.unreadableCount() > 0) {
        out += "### Unreadable cores\n\n| core | reason |\n|---|---|\n";
        for (std::size_t i = 0; i < result.cores.size(); ++i)
            if (!result.analysed(i))
                out += fmt::format("| {} | {} |\n", markdownCell(result.cores[i].path), markdownCell(result.cores[i].reason));
        out += "\n";
    }
    if (!result.skipped.empty()) {
        out += "### Skipped files\n\n| file | reason |\n|---|---|\n";
        for (const auto& skipped : result.skipped)
            out += fmt::format("| {} | {} |\n", markdownCell(skipped.path.empty() ? "-" : skipped.path),
                               markdownCell(skipped.reason));
        out += "\n";
    }
    return out;
}

}  // namespace pyautopsy::batch
