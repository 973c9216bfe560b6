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
    rules.push_back(makeExitHangRule());
    rules.push_back(makeForkHeldLockRule());
    rules.push_back(makeGilHeldBlockingRule());
    rules.push_back(makeBlockedEventLoopRule());
    rules.push_back(makeGeventBlockedHubRule());
    rules.push_back(makeDanglingChildrenRule());
    rules.push_back(makeKilledPendingAtexitRule());

    // Causes first (errors, then warnings), then consequences of how the
    // process ended, then the rest: the first finding answers "why".
    struct Ranked {
        Finding finding;
        int tier;
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
        std::erase_if(outcome.findings, [](const Finding& f) { return f.evidence.empty(); });  // none without evidence
        // A rule that made a finding did analyse: a "not analysed" line beside
        // it would contradict it (its caveats belong in its evidence).
        if (outcome.notAnalysed && outcome.findings.empty())
            out.notAnalysed.push_back({rules[i]->id(), *outcome.notAnalysed});
        for (auto& finding : outcome.findings) {
            const int tier = finding.severity == Severity::Info ? 3 : rules[i]->consequence() ? 2 : 1;
            ranked.push_back({std::move(finding), tier, i});
        }
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
        if (a.tier != b.tier) return a.tier < b.tier;
        if (a.finding.severity != b.finding.severity) return a.finding.severity < b.finding.severity;
        return a.priority < b.priority;
    });
    for (auto& r : ranked) out.findings.push_back(std::move(r.finding));
    return out;
}

}  // namespace pyautopsy::diagnosis
