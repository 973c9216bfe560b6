// exit-hang: the program finished, but the process cannot exit. The main
// thread is in threading._shutdown(), which Py_FinalizeEx calls to join every
// non-daemon thread before anything else of finalization runs, and some
// non-daemon threads never end. Names them and where they are; daemon
// threads idling beside them are not waited for and are not blamed. Error
// when every such thread is proven blocked (a lock wait, a sleeping system
// call), else a warning: a thread still running may yet finish.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

// Innermost Python frames shown per waited-for thread: enough to see which
// of the program's own functions it is stuck in, below the library call.
constexpr std::size_t kFramesShown = 4;

class ExitHangRule final : public Rule {
public:
    const char* id() const override { return "exit-hang"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        if (ending(s) == Ending::Crashed) return outcome;
        const snapshot::Thread* main = mainThread(s);
        if (!main || !inThreadingShutdown(*main)) return outcome;

        Finding f;
        f.id = id();
        if (s.target.signal) f.evidence.push_back(signalEvidence(s));
        Evidence waits = threadEvidence(*main, "python-frame",
                                        fmt::format("{} finished the program and waits in threading._shutdown() for "
                                                    "the non-daemon threads to end, before atexit callbacks and "
                                                    "the rest of finalization can run", threadLabel(*main)));
        if (auto py = innermostPython(*main)) waits.frame = frameText(main->frames[*py]);
        f.evidence.push_back(std::move(waits));

        std::vector<std::string> names;
        std::vector<std::string> daemons;
        bool allBlocked = true;
        for (const auto& t : s.threads) {
            if (&t == main || t.interpreterId != main->interpreterId) continue;
            if (t.threadStateAddress == 0 && !t.threadId) continue;     // C threads: not Python's to wait for
            if (t.daemon.value_or(true)) {
                // Unknown counts as daemon: only threads proven non-daemon are waited for.
                if (t.daemon) daemons.push_back(threadShortName(t));
                continue;
            }
            const auto blocked = blockedIn(s, t);
            if (!blocked) allBlocked = false;
            Evidence e = threadEvidence(t, "thread",
                                        fmt::format("{} has not finished: {}; at {}", threadNoun(t, "non-daemon"),
                                                    blocked.value_or("not proven blocked (it may still be running)"),
                                                    pythonStackText(t, kFramesShown)));
            if (auto py = innermostPython(t)) e.frame = frameText(t.frames[*py]);
            f.evidence.push_back(std::move(e));
            names.push_back(threadShortName(t));
        }
        if (names.empty()) return outcome;   // nothing left to wait for: it is about to go on
        if (!daemons.empty()) {
            Evidence e;
            e.kind = "thread";
            e.text = fmt::format("daemon thread{} {} {} not waited for at exit", daemons.size() == 1 ? "" : "s",
                                 fmt::join(daemons, ", "), daemons.size() == 1 ? "is" : "are");
            f.evidence.push_back(std::move(e));
        }

        f.severity = allBlocked ? Severity::Error : Severity::Warning;
        f.summary = fmt::format("The program finished but the process cannot exit: the main thread waits in "
                                "threading._shutdown() for non-daemon thread{} {} that {}.",
                                names.size() == 1 ? "" : "s", fmt::join(names, ", "),
                                allBlocked ? (names.size() == 1 ? "is blocked and never ends" : "are blocked and never end")
                                           : "have not finished");
        f.advice = "Tell worker threads to stop (an Event, a sentinel on their queue, closing their socket or pipe) "
                   "and join them before the program ends, or make threads that only serve the program daemon "
                   "threads. In CI, faulthandler.dump_traceback_later(timeout, exit=True) turns such a hang into "
                   "a traceback.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeExitHangRule() { return std::make_unique<ExitHangRule>(); }

}  // namespace pyautopsy::diagnosis
