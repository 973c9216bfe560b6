#include "report/DiagnosisReport.h"


#include <fmt/format.h>

namespace pyautopsy::report {

std::string formatDiagnosis(const diagnosis::Diagnosis& d, bool color)
{
    const char* bold = color ? "\x1b[1m" : "";
    const char* red = color ? "\x1b[31m" : "";
    const char* yellow = color ? "\x1b[33m" : "";
    const char* reset = color ? "\x1b[0m" : "";
    std::string out = fmt::format("{}Diagnosis{}\n", bold, reset);
    if (d.findings.empty()) out += "  no known failure pattern found\n";
    for (const auto& f : d.findings) {
        const char* tint = f.severity == diagnosis::Severity::Error ? red
                         : f.severity == diagnosis::Severity::Warning ? yellow : "";
        out += fmt::format("  {}{}{} [{}] {}\n", tint, diagnosis::severityName(f.severity), reset, f.id, f.summary);
        for (const auto& e : f.evidence) out += fmt::format("    - {}\n", e.text);
        if (!f.advice.empty()) out += fmt::format("    advice: {}\n", f.advice);
    }
    for (const auto& n : d.notAnalysed) out += fmt::format("  (not analysed: {}: {})\n", n.rule, n.reason);
    return out;
}

nlohmann::json diagnosesJson(const diagnosis::Diagnosis& d)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : d.findings) {
        nlohmann::json evidence = nlohmann::json::array();
        for (const auto& e : f.evidence) {
            nlohmann::json j = {{"kind", e.kind}, {"text", e.text}};
            if (e.threadId) j["thread_id"] = *e.threadId;
            if (e.nativeId) j["native_id"] = *e.nativeId;
            if (e.frame) j["frame"] = *e.frame;
            if (e.address) j["address"] = *e.address;
            if (e.value) j["value"] = *e.value;
            evidence.push_back(std::move(j));
        }
        out.push_back({{"id", f.id},
                       {"severity", diagnosis::severityName(f.severity)},
                       {"summary", f.summary},
                       {"evidence", std::move(evidence)},
                       {"advice", f.advice}});
    }
    return out;
}

nlohmann::json notAnalysedJson(const diagnosis::Diagnosis& d)
{
    nlohmann::json out = nlohmann::json::array();
    for (const auto& n : d.notAnalysed) out.push_back({{"rule", n.rule}, {"reason", n.reason}});
    return out;
}

}  // namespace pyautopsy::report
