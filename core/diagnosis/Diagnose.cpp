#include "diagnosis/Diagnose.h"

#include "diagnosis/Rule.h"

#include <algorithm>
#include <exception>

namespace pyautopsy::diagnosis {

const char* severityName(Severity severity)
{
    switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "info";
    }
    return "info";
}

Diagnosis diagnose(const snapshot::Snapshot& snapshot)
{
    std::vector<std::unique_ptr<Rule>> rules;
    rules.push_back(makeRefcountUnderflowRule());
    rules.push_back(makeFatalErrorRule());
    rules.push_back(makeFinalizationRaceRule());
    rules.push_back(makeCrashInGcRule());
    rules.push_back(makeStackOverflowRule());
    rules.push_back(makeDeadlockRule());
    rules.push_back(makeDanglingChildrenRule());
    rules.push_back(makeKilledPendingAtexitRule());

    struct Ranked {
        Finding finding;
        std::size_t priority;
    };
    std::vector<Ranked> ranked;
    Diagnosis out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        RuleOutcome outcome;
        try {
            outcome = rules[i]->evaluate(snapshot);
        } catch (const std::exception& e) {
            // A rule's bug must not hide the others' findings.
            out.notAnalysed.push_back({rules[i]->id(), std::string("internal error: ") + e.what()});
            continue;
        }
        if (outcome.notAnalysed) out.notAnalysed.push_back({rules[i]->id(), *outcome.notAnalysed});
        for (auto& finding : outcome.findings) {
            if (finding.evidence.empty()) continue;     // no finding without evidence
            ranked.push_back({std::move(finding), i});
        }
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
        if (a.finding.severity != b.finding.severity) return a.finding.severity < b.finding.severity;
        return a.priority < b.priority;
    });
    for (auto& r : ranked) out.findings.push_back(std::move(r.finding));
    return out;
}

}  // namespace pyautopsy::diagnosis
