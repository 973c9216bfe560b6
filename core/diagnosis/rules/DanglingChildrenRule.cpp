// dangling-children: a process left waiting on child processes that do not
// exit -- the main thread blocked in multiprocessing's Popen.wait/poll
// (os.waitpid), typically at exit, when multiprocessing's atexit handler
// joins non-daemon children nobody joined. The child's pid is not in a
// snapshot yet (/proc children of live processes: not read so far).
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

class DanglingChildrenRule final : public Rule {
public:
    const char* id() const override { return "dangling-children"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        if (ending(s) == Ending::Crashed) return outcome;
        Finding f;
        f.id = id();
        bool atExit = false;
        for (const auto& t : s.threads) {
            auto py = innermostPython(t);
            if (!py) continue;
            const auto& top = t.frames[*py];
            if (top.file.find("multiprocessing/popen_") == std::string::npos ||
                (top.function != "poll" && top.function != "wait"))
                continue;
            f.evidence.push_back(frameEvidence(t, top, fmt::format("{} waits for a child process to exit (os.waitpid) "
                                                                   "in {}", threadLabel(t), frameText(top))));
            for (const auto& fr : t.frames) {
                if (fr.kind != snapshot::FrameKind::Python) continue;
                if (fr.function == "_exit_function") {
                    atExit = true;
                    f.evidence.push_back(frameEvidence(t, fr, "called by multiprocessing's atexit handler "
                                                              "(multiprocessing.util._exit_function), which joins "
                                                              "every non-daemon child still running"));
                    break;
                }
                if (fr.function != "poll" && fr.function != "wait" && fr.function != "join") {
                    f.evidence.push_back(frameEvidence(t, fr, fmt::format("the wait was started by {}",
                                                                          frameText(fr))));
                    break;
                }
            }
        }
        if (f.evidence.empty()) return outcome;
        if (s.target.signal) f.evidence.insert(f.evidence.begin(), signalEvidence(s));
        f.severity = ending(s) == Ending::Running ? Severity::Warning : Severity::Error;   // hung, then killed
        f.summary = atExit ? "At exit, the process waits forever for a multiprocessing child that never finishes: "
                             "the child was started and never joined or terminated."
                           : "The process waits for a child process that does not exit.";
        f.advice = "Join every Process you start (or make it daemon=True and terminate it); make the child's "
                   "blocking calls time out. Look at the child process's own stack (pyautopsy pid CHILD) for "
                   "where it is stuck.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeDanglingChildrenRule() { return std::make_unique<DanglingChildrenRule>(); }

}  // namespace pyautopsy::diagnosis
