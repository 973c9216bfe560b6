// deadlock: in a hung process (live, a debugger's core, or killed from
// outside), threads wait on locks and no thread runs Python to release them.
// Waiting is read from native frames (lock acquire, semaphores, futexes) or,
// without them, from Python frames in acquire/wait/join; a thread waiting
// for the GIL is not waiting on a lock. Which lock each thread waits for and
// who holds it come from the snapshot's lock facts (open with-blocks, RLock
// owners; runtime/stdlib/ThreadLocks.h): the finding names the cycle when they close
// one, and says so where a holder is not known (a plain acquire() leaves no
// trace of its owner). A thread in Thread.join() waits for the thread it
// joins, and a thread importing a module that another thread is importing
// waits for that module's import lock, whose owner importlib records: both
// are edges of a cycle too. A proven cycle is an error even in a live process.
#include "diagnosis/LockQueries.h"
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"
#include "snapshot/Syscalls.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::diagnosis {
namespace {

std::optional<std::size_t> lockWait(const snapshot::Thread& t)
{
    if (t.status == snapshot::ThreadStatus::WaitingForGil) return std::nullopt;
    if (auto i = findNative(t, {NativeRole::LockWait})) {
        if (!findNative(t, {NativeRole::GilWait})) return i;
    }
    if (hasNativeFrames(t)) return std::nullopt;
    // Without native frames: the Python frame calling acquire(), and -- where
    // the registers say so -- the thread asleep in the futex call every lock
    // wait ends in (a thread waiting for the GIL sleeps there too, but does not
    // hold it and is not calling acquire()).
    // A wait a stop interrupted goes on in restart_syscall.
    const bool asleep = (t.syscall == snapshot::kSysFutex || t.syscall == snapshot::kSysRestart) &&
                        !t.holdsGil.value_or(false);
    if (auto py = innermostPython(t)) {
        const auto& fn = t.frames[*py].function;
        if (fn == "acquire" || fn == "_wait_for_tstate_lock" || fn == "wait" || fn == "join") return py;
        if (asleep && t.waitsFor) return py;
    }
    return std::nullopt;
}

bool joins(const snapshot::Thread& t)
{
    return std::any_of(t.frames.begin(), t.frames.end(), [](const snapshot::Frame& fr) {
        return fr.kind == snapshot::FrameKind::Python &&
               (fr.function == "join" || fr.function == "_wait_for_tstate_lock" || fr.function == "_shutdown");
    });
}

std::string whereText(const snapshot::Thread& t)
{
    auto py = innermostPython(t);
    return py ? frameText(t.frames[*py]) : std::string("C code");
}

const snapshot::Thread* threadWithId(const snapshot::Snapshot& s, std::uint64_t ident)
{
    for (const auto& t : s.threads)
        if (t.threadId == ident && t.threadStateAddress != 0) return &t;
    return nullptr;
}

// The one thread other than `waiter` that it waits for: the thread it joins,
// or the one holder of the lock it wants.
const snapshot::Thread* otherHolder(const snapshot::Snapshot& s, const snapshot::Thread& waiter)
{
    if (waiter.joins) {
        const auto* joined = threadWithId(s, waiter.joins->threadId);
        return joined == &waiter ? nullptr : joined;
    }
    if (!waiter.waitsFor) return nullptr;
    auto holders = lockHolders(s, waiter.waitsFor->lock);
    if (holders.size() != 1 || holders.front().thread == &waiter) return nullptr;
    return holders.front().thread;
}

std::string holderClause(const snapshot::Snapshot& s, const snapshot::Thread& waiter, std::uint64_t lock)
{
    auto holders = lockHolders(s, lock);
    if (holders.empty()) return "whose holder is not recorded";
    std::vector<std::string> names;
    for (const auto& h : holders)
        names.push_back(h.thread == &waiter ? std::string("itself (a Lock is not reentrant)") : threadShortName(*h.thread));
    return "held by " + fmt::format("{}", fmt::join(names, " and "));
}

// "worker-A" (native 1644) holds lock_a (...) and waits for lock_b (...), held by "worker-B", at f (file:line)
std::string lockWaitText(const snapshot::Snapshot& s, const snapshot::Thread& t)
{
    std::vector<std::string> held;
    for (const auto& hold : t.locksHeld) held.push_back(lockText(s, hold.lock));
    std::string holds = held.empty() ? std::string() : fmt::format(" holds {} and", fmt::join(held, " and "));
    if (!t.waitsFor)
        return fmt::format("{}{} is blocked acquiring a lock at {}", threadLabel(t), holds, whereText(t));
    const std::uint64_t lock = t.waitsFor->lock;
    return fmt::format("{}{} waits for {}, {}, at {}", threadLabel(t), holds, lockText(s, lock),
                       holderClause(s, t, lock), whereText(t));
}

// One lock that threads wait for: who holds it (and how) and who wants it.
Evidence lockEvidence(const snapshot::Snapshot& s, std::uint64_t lock,
                      const std::vector<const snapshot::Thread*>& waiters)
{
    Evidence e;
    e.kind = "lock";
    e.address = lock;
    e.value = lockName(s, lock);
    std::vector<std::string> holders;
    auto holding = lockHolders(s, lock);
    for (const auto& h : holding)
        holders.push_back(fmt::format("{} ({})", threadShortName(*h.thread), holdText(*h.thread, *h.hold)));
    if (holding.size() == 1) {
        e.threadId = holding.front().thread->threadId;
        e.nativeId = holding.front().thread->nativeId;
        if (holding.front().hold->frame)
            if (const auto* f = frameAt(*holding.front().thread, *holding.front().hold->frame)) e.frame = frameText(*f);
    }
    std::vector<std::string> wanting;
    for (const auto* w : waiters) wanting.push_back(fmt::format("{} (at {})", threadShortName(*w), whereText(*w)));
    std::string held = holders.empty()
                           ? std::string("is held by no thread that can be named (threading.Lock records no owner and "
                                         "no thread has a with-block open on it: it was taken with acquire(), or by C "
                                         "code)")
                           : "is held by " + fmt::format("{}", fmt::join(holders, " and "));
    e.text = fmt::format("{} {} and wanted by {}", lockText(s, lock), held, fmt::join(wanting, " and "));
    return e;
}

struct Cycle {
    std::string text;
    std::vector<const snapshot::Thread*> threads;
    bool throughImport = false;     // one of its locks is a module's import lock
};

bool isImportLock(const snapshot::Snapshot& s, std::uint64_t lock)
{
    const snapshot::Lock* l = findLock(s, lock);
    return l && !l->names.empty() && l->names.front().scope == "import";
}

// A cycle of threads each waiting for a lock the next one holds (or for the
// next one to finish), if the facts close one:
// "worker-A" waits for lock_b, held by "worker-B", which waits for lock_a, held by "worker-A"
std::optional<Cycle> findCycle(const snapshot::Snapshot& s, const std::vector<const snapshot::Thread*>& waiters)
{
    for (const auto* start : waiters) {
        std::vector<const snapshot::Thread*> path{start};
        for (const auto* next = otherHolder(s, *start); next != nullptr && path.size() <= waiters.size();
             next = otherHolder(s, *next)) {
            auto seen = std::find(path.begin(), path.end(), next);
            if (seen == path.end()) {
                path.push_back(next);
                continue;
            }
            Cycle cycle;
            cycle.threads.assign(seen, path.end());
            for (std::size_t i = 0; i < cycle.threads.size(); ++i) {
                const auto* t = cycle.threads[i];
                const auto* after = cycle.threads[(i + 1) % cycle.threads.size()];
                cycle.text += i == 0 ? threadShortName(*t) : std::string(", which");
                if (t->joins) {
                    cycle.text += fmt::format(" waits in Thread.join() for {} to finish", threadShortName(*after));
                } else {
                    cycle.text += fmt::format(" waits for {}, held by {}", lockName(s, t->waitsFor->lock),
                                              threadShortName(*after));
                    cycle.throughImport = cycle.throughImport || isImportLock(s, t->waitsFor->lock);
                }
            }
            return cycle;
        }
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
        std::vector<const snapshot::Thread*> lockWaiters;   // blocked on a lock, not joining a thread
        std::vector<const snapshot::Thread*> blocked;       // joining or blocked on a lock
        std::size_t running = 0;
        bool mainJoins = false;
        for (const auto& t : s.threads) {
            if (t.threadStateAddress == 0) continue;
            auto at = lockWait(t);
            if (!at) {
                if (t.status == snapshot::ThreadStatus::RunningPython) ++running;
                continue;
            }
            const bool joining = joins(t);
            const snapshot::Thread* joined = t.joins ? threadWithId(s, t.joins->threadId) : nullptr;
            std::string text = joining ? fmt::format("{} waits in Thread.join() for {} to finish, at {}",
                                                     threadLabel(t), joined ? threadLabel(*joined) : "another thread",
                                                     whereText(t))
                                       : lockWaitText(s, t);
            if (t.main && joining) mainJoins = true;
            if (!joining) lockWaiters.push_back(&t);
            blocked.push_back(&t);
            if (t.holdsGil.value_or(false)) text += " while holding the GIL";
            Evidence e = threadEvidence(t, "lock", text);
            auto py = innermostPython(t);
            e.frame = py ? std::optional<std::string>(frameText(t.frames[*py])) : std::nullopt;
            f.evidence.push_back(std::move(e));
            waiting.push_back(t.name ? *t.name : threadLabel(t));
        }
        std::size_t lockWaiterCount = f.evidence.size() - (mainJoins ? 1 : 0);
        // A proven cycle stays stuck whatever other threads do; without one,
        // waits count only when no thread runs that could end them.
        const auto cycle = findCycle(s, blocked);
        if (cycle) {
            // The cycle is the finding: threads blocked elsewhere (on locks
            // nobody in it holds) are not part of it.
            auto inCycle = [&](const snapshot::Thread* t) {
                return std::find(cycle->threads.begin(), cycle->threads.end(), t) != cycle->threads.end();
            };
            std::vector<Evidence> kept;
            std::vector<const snapshot::Thread*> keptWaiters;
            for (std::size_t i = 0; i < blocked.size(); ++i) {
                const auto* t = blocked[i];
                const auto* waitedFor = otherHolder(s, *t);
                if (!inCycle(t) && !(waitedFor && inCycle(waitedFor))) continue;
                kept.push_back(std::move(f.evidence[i]));
                if (std::find(lockWaiters.begin(), lockWaiters.end(), t) != lockWaiters.end()) keptWaiters.push_back(t);
            }
            f.evidence = std::move(kept);
            lockWaiters = std::move(keptWaiters);
        }
        if (!cycle) {
            if (lockWaiterCount < 2 && !(lockWaiterCount >= 1 && mainJoins)) return outcome;
            if (running > 0) return outcome;   // someone can still make progress
        }
        if (!hasNativeFrames(s))
            outcome.notAnalysed = "native frames were not collected (--native): threads blocked in C lock calls "
                                  "are only seen through their Python frames";
        if (s.target.signal) f.evidence.insert(f.evidence.begin(), signalEvidence(s));

        // One piece of evidence per lock waited for: its holder and its waiters.
        std::vector<std::uint64_t> locks;
        std::vector<std::string> unfound;
        for (const auto* t : lockWaiters) {
            if (!t->waitsFor) {
                unfound.push_back(threadShortName(*t));
            } else if (std::find(locks.begin(), locks.end(), t->waitsFor->lock) == locks.end()) {
                locks.push_back(t->waitsFor->lock);
            }
        }
        for (std::uint64_t lock : locks) {
            std::vector<const snapshot::Thread*> waiters;
            for (const auto* t : lockWaiters)
                if (t->waitsFor && t->waitsFor->lock == lock) waiters.push_back(t);
            f.evidence.push_back(lockEvidence(s, lock, waiters));
        }
        if (!unfound.empty()) {
            Evidence owners;
            owners.kind = "lock";
            owners.text = fmt::format("the lock {} {} for is not on {} innermost Python frame's stack (a lock "
                                      "taken in C code, or a call pyautopsy does not recognise), so its owner is "
                                      "not named; threading.Lock itself does not record one",
                                      fmt::join(unfound, ", "), unfound.size() == 1 ? "waits" : "wait",
                                      unfound.size() == 1 ? "its" : "their");
            f.evidence.push_back(std::move(owners));
        }

        // A main thread in threading._shutdown() waits for non-daemon threads
        // at exit: without a cycle among the waiters, that is exit-hang's
        // finding, and daemon threads idling on their locks are no deadlock.
        if (const auto* main = mainThread(s); !cycle && main && inThreadingShutdown(*main)) {
            outcome.notAnalysed.reset();
            return outcome;
        }
        // A cycle is read from proven facts only (each waiter's lock, each
        // lock's one holder), so it is a deadlock in a live process too; waits
        // without one may still end while the process lives.
        f.severity = cycle || end != Ending::Running ? Severity::Error : Severity::Warning;
        const bool mainInCycle = cycle && std::any_of(cycle->threads.begin(), cycle->threads.end(),
                                                      [](const snapshot::Thread* t) { return t->main; });
        const char* joinTail = mainJoins && !mainInCycle ? "; the main thread waits for them to finish" : "";
        if (cycle) {
            f.summary = fmt::format("Deadlock: {}{}.", cycle->text, joinTail);
        } else {
            f.summary = fmt::format("Deadlock: {} wait on locks and no thread runs to release them{}.",
                                    fmt::join(waiting, ", "), joinTail);
        }
        if (cycle && cycle->throughImport) {
            f.advice = "Do not wait for other threads while a module is being imported: module top-level code that "
                       "starts a thread and joins it (or waits on its result) deadlocks as soon as that thread "
                       "imports the module, since importlib holds the module's import lock until its top level "
                       "finishes. Start such threads from a function called after the import.";
            outcome.findings.push_back(std::move(f));
            return outcome;
        }
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
