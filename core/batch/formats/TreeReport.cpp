#include "batch/formats/TreeReport.h"

#include "report/JsonValue.h"

#include <fmt/format.h>

namespace pyautopsy::batch {
namespace {

using report::orNull;

constexpr std::size_t kMaxDepthShown = 64;   // the listing is bounded already; stay bounded here too

nlohmann::json groupJson(const Group& group)
{
    return {{"signature", group.signature},
            {"finding_id", group.findingId},
            {"finding_summary", group.findingSummary.empty() ? nlohmann::json(nullptr) : nlohmann::json(group.findingSummary)},
            {"top_frames", group.topFrames},
            {"count", group.members.size()},
            {"members", group.members}};
}

std::string statusText(const LiveProcess& p)
{
    switch (p.status) {
    case LiveStatus::Analysed:
        return p.stoppedMs ? fmt::format("analysed, stopped {:.1f} ms", *p.stoppedMs) : std::string("analysed");
    case LiveStatus::NotPython: return "not CPython: " + p.reason;
    case LiveStatus::Exited: return p.reason;
    case LiveStatus::Failed: return "not analysed: " + p.reason;
    }
    return {};
}

std::string processLine(const LiveProcess& p)
{
    std::string line = std::to_string(p.pid);
    if (p.multiprocessingName) line += fmt::format(" \"{}\"", *p.multiprocessingName);
    line += " " + (p.command.empty() ? std::string("(no command line)") : p.command);
    return line + fmt::format(" [{}] {}", p.state, statusText(p));
}

void lines(const TreeResult& tree, std::size_t i, std::size_t depth, std::string& out)
{
    out += std::string(2 * depth, ' ') + (depth ? "└─ " : "") + processLine(tree.processes[i]) + "\n";
    if (depth >= kMaxDepthShown) return;
    for (auto child : tree.processes[i].children) lines(tree, child, depth + 1, out);
}

}  // namespace

nlohmann::json treeFindingJson(const TreeFinding& f)
{
    return {{"id", f.id}, {"severity", f.severity}, {"summary", f.summary},
            {"pids", f.pids}, {"evidence", f.evidence}, {"advice", f.advice}};
}

nlohmann::json treeToJson(const TreeResult& tree)
{
    nlohmann::json j;
    j["schema"] = kTreeJsonSchema;
    j["kind"] = "tree";
    j["root"] = tree.root;
    j["root_listed"] = tree.rootListed;
    j["seconds"] = tree.seconds;
    j["summary"] = {{"processes", tree.processes.size()},
                    {"analysed", tree.count(LiveStatus::Analysed)},
                    {"not_python", tree.count(LiveStatus::NotPython)},
                    {"exited", tree.count(LiveStatus::Exited)},
                    {"failed", tree.count(LiveStatus::Failed)},
                    {"findings", tree.findings.size()}};
    std::vector<std::optional<std::size_t>> groupOf(tree.processes.size());
    j["groups"] = nlohmann::json::array();
    for (std::size_t g = 0; g < tree.groups.size(); ++g) {
        for (auto member : tree.groups[g].members) groupOf[member] = g;
        j["groups"].push_back(groupJson(tree.groups[g]));
    }
    j["processes"] = nlohmann::json::array();
    for (std::size_t i = 0; i < tree.processes.size(); ++i) {
        const auto& p = tree.processes[i];
        j["processes"].push_back({{"pid", p.pid},
                                  {"ppid", p.ppid},
                                  {"pgrp", p.pgrp},
                                  {"parent", orNull(p.parent)},
                                  {"children", p.children},
                                  {"depth", p.depth},
                                  {"command", p.command},
                                  {"state", p.state},
                                  {"multiprocessing_name", orNull(p.multiprocessingName)},
                                  {"status", liveStatusName(p.status)},
                                  {"reason", p.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.reason)},
                                  {"stopped_ms", orNull(p.stoppedMs)},
                                  {"stopped_cpu_ms", orNull(p.stoppedCpuMs)},
                                  {"seconds", p.seconds},
                                  {"signature", p.signature.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.signature)},
                                  {"group", orNull(groupOf[i])},
                                  {"report", p.report}});
    }
    j["findings"] = nlohmann::json::array();
    for (const auto& f : tree.findings) j["findings"].push_back(treeFindingJson(f));
    j["notes"] = tree.notes;
    return j;
}

std::string formatTreeLines(const TreeResult& tree)
{
    std::string out;
    for (std::size_t i = 0; i < tree.processes.size(); ++i)
        if (!tree.processes[i].parent) lines(tree, i, 0, out);
    return out;
}

std::string formatTreeFindings(const TreeResult& tree)
{
    std::string out;
    for (const auto& f : tree.findings) {
        out += fmt::format("{} {}: {}\n", f.severity, f.id, f.summary);
        for (const auto& e : f.evidence) out += "  - " + e + "\n";
        out += "  advice: " + f.advice + "\n";
    }
    return out;
}

std::string hangGroupTitle(const Group& group)
{
    const std::string what = group.findingId == "deadlock" ? "deadlock" : "hung";
    if (group.topFrames.empty()) return what + ", no Python frames";
    return what + " in " + group.topFrames.front();
}

std::string hangGroupEvidence(const TreeResult& tree, const Group& group)
{
    std::string out = group.findingSummary.empty() ? fmt::format("diagnosis: {}\n", group.findingId)
                                                   : fmt::format("diagnosis: {}: {}\n", group.findingId, group.findingSummary);
    out += fmt::format("processes: {}\n", group.members.size());
    for (auto member : group.members) out += "  " + processLine(tree.processes[member]) + "\n";
    out += "top Python frames of the main thread (most recent first):\n";
    if (group.topFrames.empty()) out += "  (none)\n";
    for (const auto& frame : group.topFrames) out += "  " + frame + "\n";
    for (const auto& f : tree.findings) {
        bool names = false;
        for (auto member : group.members)
            for (int pid : f.pids) names = names || tree.processes[member].pid == pid;
        if (names) out += fmt::format("{} {}: {}\n", f.severity, f.id, f.summary);
    }
    return out;
}

std::string formatTreeText(const TreeResult& tree)
{
    std::string out = fmt::format(
        "{} {}: {} process{} ({} analysed, {} not CPython, {} exited, {} not readable) in {:.2f} s\n",
        tree.rootListed ? "Process tree of" : "Processes below pyautopsy", tree.root, tree.processes.size(), tree.processes.size() == 1 ? "" : "es", tree.count(LiveStatus::Analysed),
        tree.count(LiveStatus::NotPython), tree.count(LiveStatus::Exited), tree.count(LiveStatus::Failed),
        tree.seconds);
    out += formatTreeLines(tree);
    for (const auto& note : tree.notes) out += "note: " + note + "\n";
    if (const std::string findings = formatTreeFindings(tree); !findings.empty())
        out += "\nAcross processes\n" + findings;
    for (const auto& p : tree.processes) {
        if (p.status != LiveStatus::Analysed) continue;
        out += fmt::format("\n=== process {}{} ===\n", p.pid,
                           p.multiprocessingName ? fmt::format(" \"{}\"", *p.multiprocessingName) : std::string());
        out += p.text;
    }
    return out;
}

}  // namespace pyautopsy::batch
