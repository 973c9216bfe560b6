// finalization-race: the process crashed or hung while the interpreter was
// finalizing (Py_FinalizeEx), with other threads still alive -- daemon
// threads still running Python, or threads the interpreter already dropped
// while their OS threads lived on. Names them and what they were doing, and
// the stage of finalization from the finalizing thread's native frames.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

bool waitsForGil(const snapshot::Thread& t)
{
    return t.status == snapshot::ThreadStatus::WaitingForGil || findNative(t, {NativeRole::GilWait}).has_value();
}

bool anyFinalizingFlag(const snapshot::Snapshot& s)
{
    if (s.runtime.finalizing.value_or(false)) return true;
    for (const auto& i : s.interpreters)
        if (i.state.finalizing.value_or(false)) return true;
    return false;
}

// The finalization step a thread is in, from its native frames (docs/cpython-internals.md §13.2).
std::optional<std::string> stageOf(const snapshot::Thread& t)
{
    auto gc = findNative(t, {NativeRole::GcCollect});
    auto teardown = findNative(t, {NativeRole::ModuleTeardown});
    auto atexit = findNative(t, {NativeRole::AtexitCall});
    auto threads = findNative(t, {NativeRole::ThreadShutdown});
    auto finalize = findNative(t, {NativeRole::Finalize});
    if (teardown && gc && *gc < *teardown)
        return std::string("module teardown, in the garbage collection of module dicts");
    if (teardown) return std::string("module teardown (finalize_modules)");
    if (gc && finalize)
        return std::string("the final garbage collection, before module teardown");
    if (atexit) return std::string("running atexit callbacks");
    if (threads) return std::string("threading._shutdown(), joining non-daemon threads");
    if (finalize)
        return std::string("Py_FinalizeEx");
    return std::nullopt;
}

class FinalizationRaceRule final : public Rule {
public:
    const char* id() const override { return "finalization-race"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const Ending end = ending(s);
        const snapshot::Thread* crashed = crashedThread(s);
        const snapshot::Thread* finalizer = end == Ending::Crashed ? crashed : mainThread(s);
        if (!finalizer) return outcome;
        const bool flag = anyFinalizingFlag(s);
        const auto stage = stageOf(*finalizer);
        if (!flag && !stage) return outcome;
        // A hang counts only when the finalizing thread is stuck in finalization
        // itself, and not on a child process (dangling-children says that) or
        // on the program's own threads (exit-hang).
        if (end != Ending::Crashed && !stage) return outcome;
        if (end != Ending::Crashed) {
            // Waiting in threading._shutdown() for non-daemon threads is not a
            // race: the program waits for its own threads (exit-hang says so).
            if (inThreadingShutdown(*finalizer)) return outcome;
            if (auto py = innermostPython(*finalizer);
                py && finalizer->frames[*py].file.find("multiprocessing") != std::string::npos)
                return outcome;
        }

        Finding f;
        f.id = id();
        if (s.target.signal) f.evidence.push_back(signalEvidence(s));
        if (flag) {
            Evidence e;
            e.kind = "runtime";
            e.text = "the runtime is finalizing (_PyRuntime._finalizing or interp->finalizing is set)";
            if (s.runtime.finalizingThreadId) {
                const snapshot::Thread* by = nullptr;
                for (const auto& t : s.threads)
                    if (t.threadId == s.runtime.finalizingThreadId) by = &t;
                e.text += by ? ", by the " + threadNoun(*by) : fmt::format(", by thread {:#x}", *s.runtime.finalizingThreadId);
            }
            e.threadId = s.runtime.finalizingThreadId;
            f.evidence.push_back(std::move(e));
        }
        if (stage) {
            Evidence e = threadEvidence(*finalizer, "native-frame",
                                        fmt::format("{} is in {}", threadLabel(*finalizer), *stage));
            e.value = *stage;
            f.evidence.push_back(std::move(e));
        }
        if (auto py = innermostPython(*finalizer))
            f.evidence.push_back(frameEvidence(*finalizer, finalizer->frames[*py],
                                               fmt::format("Python code running in the finalizing thread: {}",
                                                           frameText(finalizer->frames[*py]))));

        std::vector<std::string> others;
        std::size_t droppedWaiting = 0;
        for (const auto& t : s.threads) {
            if (&t == finalizer) continue;
            if (t.threadStateAddress == 0 && !t.threadId) continue;  // C threads: not Python's
            std::string doing;
            if (auto py = innermostPython(t)) doing = fmt::format(", running {}", frameText(t.frames[*py]));
            else if (t.threadStateAddress == 0 && waitsForGil(t)) {
                // Its state was dropped at finalization, and its OS thread
                // went back for the GIL: CPython ends or parks such a thread
                // when it gets it, so it never runs Python again.
                doing = ", dropped by the interpreter (no thread state) and waiting for the GIL, which it can never "
                        "use again";
                ++droppedWaiting;
            } else if (t.threadStateAddress == 0) {
                doing = ", dropped by the interpreter (no thread state) while its OS thread may still run";
            }
            f.evidence.push_back(threadEvidence(t, "thread", fmt::format("{} is still alive{}",
                                                                         threadNoun(t, t.daemon.value_or(false) ? "daemon" : ""),
                                                                         doing)));
            others.push_back(t.name ? *t.name : threadLabel(t));
        }
        const std::string droppedTail =
            droppedWaiting == 0 ? std::string()
                                : fmt::format(" ({} of them without a thread state, waiting for the GIL)", droppedWaiting);
        if (end == Ending::Crashed) {
            f.severity = others.empty() ? Severity::Warning : Severity::Error;
            f.summary = others.empty()
                ? fmt::format("The process crashed while the interpreter was finalizing{}.",
                              stage ? " (" + *stage + ")" : std::string())
                : fmt::format("The process crashed while the interpreter was finalizing{}, with other threads "
                              "still alive: {}{}.", stage ? " (" + *stage + ")" : std::string(),
                              fmt::join(others, ", "), droppedTail);
        } else {
            f.severity = Severity::Warning;
            f.summary = fmt::format("The process hangs in interpreter finalization ({}){}.", *stage,
                                    others.empty() ? std::string()
                                                   : fmt::format(" with threads still alive: {}{}", fmt::join(others, ", "),
                                                                 droppedTail));
        }
        f.advice = "Do not leave daemon threads running Python at exit: give them a stop event and join them "
                   "(or use non-daemon threads), and keep __del__ methods and atexit callbacks from touching "
                   "objects other threads or modules still use. Objects freed during module teardown run their "
                   "destructors with half-destroyed modules.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeFinalizationRaceRule() { return std::make_unique<FinalizationRaceRule>(); }

}  // namespace pyautopsy::diagnosis
