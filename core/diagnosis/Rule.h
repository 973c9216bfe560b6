// Rule: an independent check over a Snapshot.
//
// Rules read only the snapshot (never target memory: a fact a rule needs is
// first added to the snapshot by core/runtime). A rule returns its findings,
// or says it could not decide (NotAnalysed) when facts it needs are missing;
// finding nothing is the ordinary answer for a process that did not fail
// that way. Rules never throw on odd snapshots: missing facts are expected.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::diagnosis {

struct RuleOutcome {
    std::vector<Finding> findings;
    std::optional<std::string> notAnalysed;     // why the rule could not decide
};

class Rule {
public:
    virtual ~Rule() = default;
    virtual const char* id() const = 0;
    virtual RuleOutcome evaluate(const snapshot::Snapshot& snapshot) const = 0;
    // True for a rule whose findings say what followed from how the process
    // ended (killed with atexit callbacks pending), not why it failed: they
    // are shown after the causes of every severity but info.
    virtual bool consequence() const { return false; }
};

// The rules, in priority order (Diagnose.cpp). One file each.
std::unique_ptr<Rule> makeRefcountUnderflowRule();
std::unique_ptr<Rule> makeFatalErrorRule();
std::unique_ptr<Rule> makeFinalizationRaceRule();
std::unique_ptr<Rule> makeCrashInGcRule();
std::unique_ptr<Rule> makeStackOverflowRule();
std::unique_ptr<Rule> makeDeadlockRule();
std::unique_ptr<Rule> makeExitHangRule();
std::unique_ptr<Rule> makeForkHeldLockRule();
std::unique_ptr<Rule> makeGilHeldBlockingRule();
std::unique_ptr<Rule> makeBlockedEventLoopRule();
std::unique_ptr<Rule> makeGeventBlockedHubRule();
std::unique_ptr<Rule> makeDanglingChildrenRule();
std::unique_ptr<Rule> makeKilledPendingAtexitRule();

}  // namespace pyautopsy::diagnosis
