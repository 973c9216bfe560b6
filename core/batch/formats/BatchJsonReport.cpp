#include "batch/formats/BatchJsonReport.h"

#include "batch/formats/TreeReport.h"
#include "report/JsonValue.h"

namespace pyautopsy::batch {

using report::orNull;

nlohmann::json logDumpJson(const LogDump& dump)
{
    return {{"log", dump.logPath},
            {"line", dump.line},
            {"error", orNull(dump.error)},
            {"current_thread", orNull(dump.currentThread)},
            {"threads", dump.threads},
            {"text", dump.text}};
}

nlohmann::json batchToJson(const BatchResult& result)
{
    nlohmann::json j;
    j["schema"] = kBatchJsonSchema;
    j["kind"] = "batch";
    j["summary"] = {{"cores", result.cores.size()},
                    {"analysed", result.analysedCount()},
                    {"unreadable", result.unreadableCount()},
                    {"skipped", result.skipped.size()},
                    {"groups", result.groups.size()},
                    {"crashes_found", result.crashesFound()},
                    {"jobs", result.jobs},
                    {"seconds", result.seconds}};

    std::vector<std::optional<std::size_t>> groupOf(result.cores.size());
    j["groups"] = nlohmann::json::array();
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        const auto& group = result.groups[g];
        for (auto member : group.members) groupOf[member] = g;
        j["groups"].push_back({{"signature", group.signature},
                               {"finding_id", group.findingId},
                               {"finding_summary", group.findingSummary.empty() ? nlohmann::json(nullptr)
                                                                                : nlohmann::json(group.findingSummary)},
                               {"signal", group.signal.empty() ? nlohmann::json(nullptr) : nlohmann::json(group.signal)},
                               {"top_frames", group.topFrames},
                               {"count", group.members.size()},
                               {"members", group.members}});
    }

    j["cores"] = nlohmann::json::array();
    for (std::size_t i = 0; i < result.cores.size(); ++i) {
        const auto& core = result.cores[i];
        nlohmann::json c = {{"path", core.path},
                            {"status", result.analysed(i) ? "analysed" : "unreadable"},
                            {"compression", core.compression.empty() ? nlohmann::json(nullptr) : nlohmann::json(core.compression)},
                            {"name_pid", orNull(core.namePid)},
                            {"pid", orNull(core.pid)},
                            {"ppid", orNull(core.ppid)},
                            {"command", core.command.empty() ? nlohmann::json(nullptr) : nlohmann::json(core.command)},
                            {"signal", orNull(core.signal)},
                            {"partial", core.partial},
                            {"reason", core.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(core.reason)},
                            {"warnings", core.warnings},
                            {"signature", core.signature.empty() ? nlohmann::json(nullptr) : nlohmann::json(core.signature)},
                            {"group", orNull(groupOf[i])},
                            {"seconds", core.seconds}};
        c["logs"] = nlohmann::json::array();
        for (const auto& dump : core.logs) c["logs"].push_back(logDumpJson(dump));
        c["report"] = core.report;
        j["cores"].push_back(std::move(c));
    }

    j["process_tree"] = nlohmann::json::array();
    for (const auto& node : result.tree) {
        j["process_tree"].push_back({{"core", node.core},
                                     {"pid", orNull(result.cores[node.core].pid)},
                                     {"ppid", orNull(result.cores[node.core].ppid)},
                                     {"parent", orNull(node.parent)},
                                     {"parent_from_process_group", node.parentFromProcessGroup},
                                     {"children", node.children}});
    }
    j["skipped"] = nlohmann::json::array();
    for (const auto& skipped : result.skipped)
        j["skipped"].push_back({{"path", skipped.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(skipped.path)},
                                {"reason", skipped.reason}});
    j["unmatched_logs"] = nlohmann::json::array();
    for (const auto& dump : result.unmatchedLogs) j["unmatched_logs"].push_back(logDumpJson(dump));
    j["hang"] = nullptr;
    if (result.hang) {
        j["hang"] = {{"trigger", result.hang->trigger},
                     {"after_seconds", result.hang->afterSeconds},
                     {"timeout_seconds", result.hang->timeoutSeconds},
                     {"leftovers", result.hang->leftovers},
                     {"tree", treeToJson(result.hang->tree)}};
    }
    return j;
}

}  // namespace pyautopsy::batch
