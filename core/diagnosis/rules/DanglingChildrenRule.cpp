// dangling-children: a process left waiting on child processes that do not
// exit -- the main thread blocked in multiprocessing's Popen.wait/poll
// (os.waitpid), typically at exit, when multiprocessing's atexit handler
// joins non-daemon children nobody joined. The children it may be waiting
// for are named: pid, state and command line where the kernel lists them
// (live processes), and the multiprocessing.Process (name, daemon flag) that
// started each one, from the target's memory (cores too).
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace pyautopsy::diagnosis {
namespace {

// A child the parent has not seen finish: listed by the kernel and not a
// zombie, or (where the kernel's list is not known, as in cores) a
// multiprocessing child without an exit code.
bool unfinished(const snapshot::ChildProcess& child)
{
    if (child.listedByKernel) return child.state != std::optional<std::string>("Z");
    return child.multiprocessing && !child.multiprocessing->exitcode;
}

std::string describeChild(const snapshot::ChildProcess& child)
{
    std::string who = fmt::format("child process {}", child.pid);
    if (child.multiprocessing) {
        const auto& m = *child.multiprocessing;
        who += fmt::format(", multiprocessing.Process {}", m.name ? "\"" + *m.name + "\"" : std::string("(unnamed)"));
        if (m.daemon) who += *m.daemon ? " (daemon)" : " (not daemon)";
    }
    std::string how;
    if (child.state) {
        how = fmt::format("is {} ({})", child.state == std::optional<std::string>("Z") ? "finished" : "still alive",
                          fmt::format("{}: {}", *child.state, snapshot::kernelStateName(*child.state)));
    } else {
        how = "had not been reaped when the core was taken";
    }
    std::string text = fmt::format("{} {}", who, how);
    if (child.command && !child.command->empty()) text += fmt::format("; command: {}", *child.command);
    return text;
}

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
        std::vector<const snapshot::ChildProcess*> waitingFor;
        for (const auto& child : s.children.processes) {
            if (!unfinished(child)) continue;
            waitingFor.push_back(&child);
            Evidence e;
            e.kind = "child";
            e.text = describeChild(child);
            e.value = std::to_string(child.pid);
            if (child.multiprocessing) e.address = child.multiprocessing->address;
            f.evidence.push_back(std::move(e));
        }
        f.severity = ending(s) == Ending::Running ? Severity::Warning : Severity::Error;   // hung, then killed
        std::string which = "a multiprocessing child";
        if (waitingFor.size() == 1) {
            const auto& child = *waitingFor.front();
            which = child.multiprocessing && child.multiprocessing->name
                ? fmt::format("the multiprocessing child \"{}\" (pid {})", *child.multiprocessing->name, child.pid)
                : fmt::format("the child process {}", child.pid);
        } else if (waitingFor.size() > 1) {
            which = fmt::format("{} child processes", waitingFor.size());
        }
        f.summary = atExit ? fmt::format("At exit, the process waits forever for {} that never finishes: the child "
                                         "was started and never joined or terminated.", which)
                           : fmt::format("The process waits for {} that does not exit.",
                                         waitingFor.empty() ? "a child process" : which);
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
