// fatal-error: CPython called Py_FatalError on the crashing thread. Evidence:
// the fatal-error frames of the native stack, the function that raised it,
// and the message when core/runtime recovered it from the target (never from
// logs, never guessed).
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

class FatalErrorRule final : public Rule {
public:
    const char* id() const override { return "fatal-error"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const snapshot::Thread* crashed = crashedThread(s);
        if (!crashed || ending(s) != Ending::Crashed) return outcome;
        if (!hasNativeFrames(*crashed)) {
            if (isSignal(s, {"SIGABRT"}))
                outcome.notAnalysed = "the crashing thread's native frames were not collected (run with --native) "
                                      "to tell a Py_FatalError from another abort()";
            return outcome;
        }
        auto at = findNative(*crashed, {NativeRole::FatalError, NativeRole::RefcountFatal});
        if (!at) return outcome;

        Finding f;
        f.id = id();
        f.severity = Severity::Error;
        f.evidence.push_back(frameEvidence(*crashed, crashed->frames[*at],
                                           fmt::format("{} on the native stack of the {}",
                                                       baseSymbol(crashed->frames[*at].function),
                                                       threadNoun(*crashed, "crashing"))));
        std::string raisedBy;
        std::string message;
        if (const auto& call = s.crash.fatalError) {
            raisedBy = call->caller;
            if (!call->caller.empty()) {
                Evidence e = threadEvidence(*crashed, "native-frame",
                                            fmt::format("{} was called by {}", call->function, call->caller));
                e.frame = call->caller;
                e.value.reset();
                f.evidence.push_back(std::move(e));
            }
            Evidence m;
            m.kind = "fatal-error";
            if (call->message) {
                message = *call->message;
                m.value = message;
                m.text = fmt::format("message \"{}{}\", read from the target: {}",
                                     call->funcArgument ? *call->funcArgument + ": " : std::string(), message,
                                     call->recoveredFrom);
            } else {
                m.text = fmt::format("message {}", call->recoveredFrom);
            }
            f.evidence.push_back(std::move(m));
        }
        if (auto py = innermostPython(*crashed))
            f.evidence.push_back(frameEvidence(*crashed, crashed->frames[*py],
                                               "innermost Python frame of the crashing thread"));
        f.summary = fmt::format("CPython aborted with a fatal error{}{}.",
                                message.empty() ? std::string() : fmt::format(" \"{}\"", message),
                                raisedBy.empty() ? std::string() : fmt::format(" raised in {}", raisedBy));
        f.advice = "A fatal error means CPython found its own state corrupted; the message and the function that "
                   "raised it say which invariant broke. Check the other findings for the cause, and reproduce "
                   "under a debug build (python3-dbg) with -X dev for an earlier, more precise failure.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeFatalErrorRule() { return std::make_unique<FatalErrorRule>(); }

}  // namespace pyautopsy::diagnosis
