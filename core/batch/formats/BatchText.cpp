#include "batch/formats/BatchText.h"

#include "batch/formats/TreeReport.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace pyautopsy::batch {
namespace {

constexpr std::size_t kListedMembers = 10;
constexpr std::size_t kMaxTreeDepth = 64;  // a cycle cannot happen (pids are unique per parent), but stay bounded

std::string coreLabel(const CoreResult& core)
{
    std::string label = core.pid ? fmt::format("pid {}", *core.pid) : std::string("pid ?");
    if (!core.command.empty()) label += " " + core.command;
    return label + " (" + core.path + ")";
}

void treeLines(const BatchResult& result, const std::map<std::size_t, const TreeNode*>& byCore,
               std::size_t core, std::size_t depth, std::string& out)
{
    const auto& c = result.cores[core];
    std::string line = std::string(2 * depth, ' ') + (depth ? "└─ " : "") + coreLabel(c);
    if (c.signal) line += " " + *c.signal;
    if (!result.analysed(core)) line += " [unreadable]";
    const auto it = byCore.find(core);
    if (it != byCore.end() && it->second->parentFromProcessGroup) line += " [adopted: parent from its process group]";
    out += line + "\n";
    if (it == byCore.end() || depth >= kMaxTreeDepth) return;
    for (auto child : it->second->children) treeLines(result, byCore, child, depth + 1, out);
}

}  // namespace

std::string groupTitle(const Group& group)
{
    const std::string signal = group.signal.empty() ? "crash" : group.signal;
    if (group.topFrames.empty()) return signal + ", no Python frames";
    return signal + " in " + group.topFrames.front();
}

std::string groupEvidence(const BatchResult& result, const Group& group)
{
    std::string out;
    out += group.findingSummary.empty() ? fmt::format("diagnosis: {}\n", group.findingId)
                                        : fmt::format("diagnosis: {}: {}\n", group.findingId, group.findingSummary);
    out += fmt::format("signal: {}\n", group.signal.empty() ? "unknown" : group.signal);
    out += fmt::format("cores: {}\n", group.members.size());
    for (std::size_t i = 0; i < group.members.size() && i < kListedMembers; ++i) {
        const auto& core = result.cores[group.members[i]];
        out += "  " + coreLabel(core) + "\n";
        for (const auto& warning : core.warnings) out += "    warning: " + warning + "\n";
        for (const auto& dump : core.logs)
            out += fmt::format("    log {}:{}: {}\n", dump.logPath, dump.line,
                               dump.error.value_or(fmt::format("thread dump, current thread {:#x}",
                                                               dump.currentThread.value_or(0))));
    }
    if (group.members.size() > kListedMembers)
        out += fmt::format("  ... and {} more\n", group.members.size() - kListedMembers);
    out += "top Python frames (most recent first):\n";
    if (group.topFrames.empty()) out += "  (none: the crashed thread ran no Python code)\n";
    for (const auto& frame : group.topFrames) out += "  " + frame + "\n";
    return out;
}

std::string formatProcessTree(const BatchResult& result)
{
    std::map<std::size_t, const TreeNode*> byCore;
    bool related = false;
    for (const auto& node : result.tree) {
        byCore[node.core] = &node;
        related = related || node.parent || !node.children.empty();
    }
    if (!related) return {};
    std::string out;
    for (const auto& node : result.tree)
        if (!node.parent && !node.children.empty()) treeLines(result, byCore, node.core, 0, out);
    return out;
}

std::string hangHeadline(const HangResult& hang)
{
    if (hang.trigger == "timeout")
        return fmt::format("the command's tree was still running after {:.1f} s (--hang-timeout {:g})",
                           hang.afterSeconds, hang.timeoutSeconds);
    return fmt::format("pyautopsy received {} after {:.1f} s, before the hang timeout", hang.trigger, hang.afterSeconds);
}

std::string formatBatchText(const BatchResult& result)
{
    std::string out;
    if (result.hang) {
        const auto& tree = result.hang->tree;
        out += fmt::format("pyautopsy run: HANG: {}; snapshot of every CPython process of its tree, then it was "
                           "terminated\n", hangHeadline(*result.hang));
        for (std::size_t g = 0; g < tree.groups.size(); ++g)
            out += fmt::format("Hang group {}: {} ({} process{})\n", g + 1, hangGroupTitle(tree.groups[g]),
                               tree.groups[g].members.size(), tree.groups[g].members.size() == 1 ? "" : "es");
        for (const auto& left : result.hang->leftovers) out += "still running after SIGKILL: " + left + "\n";
        out += "\n" + formatTreeText(tree) + "\n";
    }
    out += fmt::format(
        "pyautopsy batch: {} core{} ({} analysed, {} unreadable), {} crash group{}, {} skipped file{}; {:.1f} s with -j{}\n",
        result.cores.size(), result.cores.size() == 1 ? "" : "s", result.analysedCount(), result.unreadableCount(),
        result.groups.size(), result.groups.size() == 1 ? "" : "s", result.skipped.size(),
        result.skipped.size() == 1 ? "" : "s", result.seconds, result.jobs);
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        const auto& group = result.groups[g];
        out += fmt::format("\nGroup {}: {} ({} core{})\n", g + 1, groupTitle(group), group.members.size(),
                           group.members.size() == 1 ? "" : "s");
        std::string evidence = groupEvidence(result, group);
        std::string indented;
        for (std::size_t at = 0; at < evidence.size();) {
            const auto end = evidence.find('\n', at);
            indented += "  " + evidence.substr(at, end - at) + "\n";
            at = end == std::string::npos ? evidence.size() : end + 1;
        }
        out += indented;
    }
    if (const std::string tree = formatProcessTree(result); !tree.empty()) out += "\nProcess tree:\n" + tree;
    if (result.unreadableCount() > 0) {
        out += "\nUnreadable cores:\n";
        for (std::size_t i = 0; i < result.cores.size(); ++i)
            if (!result.analysed(i)) out += fmt::format("  {}: {}\n", result.cores[i].path, result.cores[i].reason);
    }
    if (!result.skipped.empty()) {
        out += "\nSkipped:\n";
        for (const auto& skipped : result.skipped)
            out += skipped.path.empty() ? fmt::format("  {}\n", skipped.reason)
                                        : fmt::format("  {}: {}\n", skipped.path, skipped.reason);
    }
    if (!result.unmatchedLogs.empty())
        out += fmt::format("\n{} crash dump{} in the logs matched no core\n", result.unmatchedLogs.size(),
                           result.unmatchedLogs.size() == 1 ? "" : "s");
    return out;
}

}  // namespace pyautopsy::batch
