// fork-held-lock: a process made by fork() waits forever for a lock that a
// thread of its parent held at the moment of the fork. fork() copies memory,
// so the lock is locked in the child too, but only the forking thread goes
// on there: the holder does not exist to release it. Needs the fork origin
// (snapshot::ForkOrigin: what the parent's modules recorded and the copy
// kept) and a lock no thread of this process holds. Error when that is
// proven -- an RLock whose recorded owner is no thread here, or a child whose
// only Python thread is the waiter -- else a warning: another thread of the
// child could have taken the lock with a plain acquire(), which leaves no trace.
// A threading.Lock must be reachable from a module global or an attribute:
// one known only by a local was most likely made after the fork.
#include "diagnosis/LockQueries.h"
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::diagnosis {
namespace {

bool isThreadHere(const snapshot::Snapshot& s, std::uint64_t ident)
{
    return std::any_of(s.threads.begin(), s.threads.end(), [&](const snapshot::Thread& t) { return t.threadId == ident; });
}

// A name that makes the lock reachable beyond one frame: a module global or
// an object's attribute.
const snapshot::LockName* sharedName(const snapshot::Lock& lock)
{
    for (const auto& name : lock.names)
        if (name.scope == "global" || name.scope == "attribute") return &name;
    return nullptr;
}

std::size_t pythonThreads(const snapshot::Snapshot& s)
{
    return static_cast<std::size_t>(std::count_if(s.threads.begin(), s.threads.end(),
                                                  [](const snapshot::Thread& t) { return t.threadStateAddress != 0; }));
}

class ForkHeldLockRule final : public Rule {
public:
    const char* id() const override { return "fork-held-lock"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        if (ending(s) == Ending::Crashed || !s.forkedFrom) return outcome;
        const snapshot::ForkOrigin& origin = *s.forkedFrom;
        for (const auto& t : s.threads) {
            if (t.threadStateAddress == 0 || !t.waitsFor) continue;
            const std::uint64_t address = t.waitsFor->lock;
            const snapshot::Lock* lock = findLock(s, address);
            if (lock && lock->locked == false) continue;
            if (!lockHolders(s, address).empty()) continue;   // held here: deadlock's question, not the fork's
            if (lock && lock->ownerThreadId && isThreadHere(s, *lock->ownerThreadId)) continue;
            const bool ownerGone = lock && lock->ownerThreadId.has_value();
            // A lock known only by a local of the waiting frame was most likely
            // made (and taken) in this process after the fork: a thread parked
            // on a lock it holds itself is no fork's doing.
            const snapshot::LockName* shared = lock ? sharedName(*lock) : nullptr;
            if (!ownerGone && !shared) continue;
            const bool alone = pythonThreads(s) == 1;

            Finding f;
            f.id = id();
            if (s.target.signal) f.evidence.push_back(signalEvidence(s));
            Evidence fork;
            fork.kind = "process";
            fork.text = fmt::format("this process was made by fork(){}: {}",
                                    origin.parentPid ? fmt::format(" from pid {}", *origin.parentPid) : std::string(),
                                    origin.how);
            if (origin.parentPid) fork.value = std::to_string(*origin.parentPid);
            fork.frame = origin.forkCall;
            f.evidence.push_back(std::move(fork));

            Evidence wait = threadEvidence(t, "lock",
                                           fmt::format("{} waits for {} at {}", threadLabel(t), lockText(s, address),
                                                       pythonStackText(t, 4)));
            if (auto py = innermostPython(t)) wait.frame = frameText(t.frames[*py]);
            f.evidence.push_back(std::move(wait));

            Evidence held;
            held.kind = "lock";
            held.address = address;
            held.value = lockName(s, address);
            if (ownerGone) {
                held.threadId = lock->ownerThreadId;
                held.text = fmt::format("{} records its owner as thread {:#x}, which is no thread of this process: "
                                        "a thread of the parent, which fork() did not copy",
                                        lockText(s, address), *lock->ownerThreadId);
            } else {
                held.text = fmt::format("{} is locked and no thread of this process has a with-block open on it; "
                                        "it is {} {}, which existed in the parent before the fork{}",
                                        lockText(s, address), shared->scope == "global" ? "a global of" : "held in",
                                        shared->where,
                                        alone ? "; the waiter is the process's only Python thread, so no thread "
                                                "here can release it: it was locked when the process was forked"
                                              : " (threading.Lock records no owner: another thread here could "
                                                "have taken it with acquire())");
            }
            f.evidence.push_back(std::move(held));
            if (origin.forkingThreadNativeId) {
                Evidence e;
                e.kind = "thread";
                e.text = fmt::format("fork() was called by the parent's thread with native id {}; the parent's "
                                     "other threads, the lock's holder among them, do not exist here",
                                     *origin.forkingThreadNativeId);
                e.nativeId = origin.forkingThreadNativeId;
                f.evidence.push_back(std::move(e));
            }

            f.severity = ownerGone || alone ? Severity::Error : Severity::Warning;
            auto py = innermostPython(t);
            f.summary = fmt::format("This process was forked{}{} while another thread of the parent held {}; "
                                    "{} waits for it{} forever, because that thread does not exist in the child.",
                                    origin.processName ? fmt::format(" (multiprocessing \"{}\")", *origin.processName)
                                                       : std::string(),
                                    origin.parentPid ? fmt::format(" from pid {}", *origin.parentPid) : std::string(),
                                    lockName(s, address), threadLabel(t),
                                    py ? " at " + frameText(t.frames[*py]) : std::string());
            f.advice = "Do not fork() a process that runs other threads: use the spawn or forkserver start method "
                       "(multiprocessing.get_context(\"spawn\"); forkserver is the default on Linux since 3.14), or "
                       "fork before starting threads. A library that must survive fork() can re-create its locks "
                       "in the child with os.register_at_fork(after_in_child=...).";
            outcome.findings.push_back(std::move(f));
        }
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeForkHeldLockRule() { return std::make_unique<ForkHeldLockRule>(); }

}  // namespace pyautopsy::diagnosis
