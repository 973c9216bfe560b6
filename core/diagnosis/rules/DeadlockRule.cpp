// deadlock: in a hung process (live, a debugger's core, or killed from
// outside), threads wait on locks and no thread runs Python to release them.
// Waiting is read from native frames (lock acquire, semaphores, futexes) or,
// without them, from Python frames in acquire/wait/join; a thread waiting
// for the GIL is not waiting on a lock. Plain threading.Lock objects do not
// record their owner, so owners are named only where the snapshot knows them.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

std::optional<std::size_t> lockWait(const snapshot::Thread& t)
{
    if (t.status == snapshot::ThreadStatus::WaitingForGil) return std::nullopt;
    if (auto i = findNative(t, {"PyThread_acquire_lock_timed", "acquire_timed", "lock_PyThread_acquire_lock",
                                "rlock_acquire", "_PySemaphore_Wait", "_PyMutex_LockTimed", "PyMUTEX_LOCK",
                                "_PyMutex_LockSlow", "_PyParkingLot_Park", "sem_clockwait", "sem_timedwait",
                                "__new_sem_wait_slow64", "do_futex_wait", "sem_wait"})) {
        if (!findNative(t, {"take_gil", "drop_gil"})) return i;
    }
    if (auto py = innermostPython(t)) {
        const auto& fn = t.frames[*py].function;
        if (!hasNativeFrames(t) && (fn == "acquire" || fn == "_wait_for_tstate_lock" || fn == "wait" || fn == "join"))
            return py;
    }
    return std::nullopt;
}

class DeadlockRule final : public Rule {
public:
    const char* id() const override { return "deadlock"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const Ending end = ending(s);
        if (end == Ending::Crashed) return outcome;
        Finding f;
        f.id = id();
        std::vector<std::string> waiting;
        std::size_t running = 0;
        bool mainJoins = false;
        for (const auto& t : s.threads) {
            if (t.threadStateAddress == 0) continue;
            auto at = lockWait(t);
            if (!at) {
                if (t.status == snapshot::ThreadStatus::RunningPython) ++running;
                continue;
            }
            auto py = innermostPython(t);
            std::string where = py ? frameText(t.frames[*py]) : std::string("C code");
            bool joins = false;
            for (const auto& fr : t.frames)
                if (fr.kind == snapshot::FrameKind::Python &&
                    (fr.function == "join" || fr.function == "_wait_for_tstate_lock" || fr.function == "_shutdown"))
                    joins = true;
            std::string text = joins ? fmt::format("{} waits in Thread.join() for another thread to finish, at {}",
                                                   threadLabel(t), where)
                                     : fmt::format("{} is blocked acquiring a lock at {}", threadLabel(t), where);
            if (t.main && joins) mainJoins = true;
            if (t.holdsGil.value_or(false)) text += " while holding the GIL";
            Evidence e = threadEvidence(t, "lock", text);
            e.frame = py ? std::optional<std::string>(where) : std::nullopt;
            f.evidence.push_back(std::move(e));
            waiting.push_back(t.name ? *t.name : threadLabel(t));
        }
        std::size_t lockWaiters = f.evidence.size() - (mainJoins ? 1 : 0);
        if (lockWaiters < 2 && !(lockWaiters >= 1 && mainJoins)) return outcome;
        if (running > 0) return outcome;   // someone can still make progress
        if (!hasNativeFrames(s))
            outcome.notAnalysed = "native frames were not collected (--native): threads blocked in C lock calls "
                                  "are only seen through their Python frames";
        if (s.target.signal) f.evidence.insert(f.evidence.begin(), signalEvidence(s));
        Evidence owners;
        owners.kind = "lock";
        owners.text = "threading.Lock does not record its owner; the waiting threads' frames show which locks "
                      "each already took (with-blocks) and which it waits for";
        f.evidence.push_back(std::move(owners));
        f.severity = end == Ending::Running ? Severity::Warning : Severity::Error;
        f.summary = fmt::format("Deadlock: {} wait on locks and no thread runs to release them{}.",
                                fmt::join(waiting, ", "),
                                mainJoins ? "; the main thread waits for them to finish" : "");
        f.advice = "Take locks in one global order (or use a single lock), never block on a lock while holding "
                   "another without a timeout, and give join()/acquire() a timeout in tests so a hang fails "
                   "with a traceback (faulthandler.dump_traceback_later helps too).";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeDeadlockRule() { return std::make_unique<DeadlockRule>(); }

}  // namespace pyautopsy::diagnosis
