#include "diagnosis/Diagnose.h"

#include <gtest/gtest.h>

#include <map>

using namespace pyautopsy;

namespace {

// A native frame as the runtime hands it over: named, with its role.
snapshot::Frame native(const std::string& name, snapshot::NativeRole role = snapshot::NativeRole::None)
{
    snapshot::Frame f;
    f.kind = snapshot::FrameKind::Native;
    f.function = name;
    f.role = role;
    f.file = "/usr/lib/libpython3.11.so.1.0";
    f.address = 0x1000;
    return f;
}

snapshot::Frame python(const std::string& name, int line)
{
    snapshot::Frame f;
    f.function = name;
    f.file = "app.py";
    f.line = line;
    return f;
}

snapshot::Snapshot crashedBy(const std::string& signal, int number)
{
    snapshot::Snapshot s;
    s.target.kind = "core";
    s.target.pid = 100;
    snapshot::Signal sig;
    sig.name = signal;
    sig.number = number;
    sig.senderPid = 100;
    s.target.signal = sig;
    snapshot::Thread t;
    t.main = true;
    t.crashed = true;
    t.threadId = 1;
    t.nativeId = 100;
    t.threadStateAddress = 0x5000;
    s.threads.push_back(t);
    return s;
}

TEST(Diagnosis, PlainAbortHasNoFinding)
{
    auto s = crashedBy("SIGABRT", 6);
    s.threads[0].frames = {native("raise"), native("abort"), python("main", 3)};
    EXPECT_TRUE(diagnosis::diagnose(s).findings.empty());
}

TEST(Diagnosis, DeallocatingNoneOnMortalNone)
{
    auto s = crashedBy("SIGABRT", 6);
    using snapshot::NativeRole;
    s.threads[0].frames = {native("abort"), native("fatal_error", NativeRole::FatalError),
                           native("_Py_FatalRefcountErrorFunc", NativeRole::RefcountFatal),
                           native("none_dealloc", NativeRole::NoneDealloc), native("collect", NativeRole::GcCollect)};
    snapshot::SingletonRefcount none;
    none.name = "None";
    none.refcount = -1;
    s.runtime.singletons.push_back(none);
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "refcount-underflow");
    EXPECT_NE(d.findings[0].summary.find("None"), std::string::npos);
    EXPECT_EQ(d.findings[1].id, "fatal-error");
}

TEST(Diagnosis, ImmortalNoneIsNeverDeallocated)
{
    auto s = crashedBy("SIGABRT", 6);
    s.runtime.immortalObjects = true;
    snapshot::SingletonRefcount none;
    none.name = "None";
    none.refcount = 0;      // even a zero count: 3.12+ re-immortalises, never "deallocating None"
    s.runtime.singletons.push_back(none);
    for (const auto& f : diagnosis::diagnose(s).findings) EXPECT_NE(f.id, "refcount-underflow");
}

TEST(Diagnosis, FreedObjectInLocals)
{
    auto s = crashedBy("SIGSEGV", 11);
    s.target.signal->senderPid.reset();
    auto frame = python("main", 59);
    frame.locals.push_back({"holder", "[<unreadable object at 0xabc0>]", {0xabc0}});
    s.threads[0].frames = {frame};
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "refcount-underflow");
    EXPECT_EQ(d.findings[0].evidence[0].address, 0xabc0u);
    EXPECT_EQ(d.findings[0].evidence[0].value, "holder");
}

TEST(Diagnosis, StackOverflowNamesTheCycleAndLimit)
{
    auto s = crashedBy("SIGSEGV", 11);
    s.target.signal->senderPid.reset();
    s.target.signal->address = 0x7000ff8;
    s.threads[0].stackPointer = 0x7001000;
    for (int i = 0; i < 50; ++i) {
        s.threads[0].frames.push_back(python("f", 1));
        s.threads[0].frames.push_back(python("g", 2));
    }
    s.crash.recursionLimit = 100000;
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "stack-overflow");
    EXPECT_NE(d.findings[0].summary.find("f -> g"), std::string::npos);
}

TEST(Diagnosis, DeadlockNeedsAHungProcess)
{
    auto s = crashedBy("SIGABRT", 6);
    s.target.signal->senderPid = 42;    // killed from outside: it was hung
    s.threads[0].crashed = false;
    for (const char* name : {"worker-A", "worker-B"}) {
        snapshot::Thread t;
        t.name = name;
        t.threadStateAddress = 0x6000;
        t.frames = {native("futex_wait"), native("do_futex_wait", snapshot::NativeRole::LockWait),
                    native("PyThread_acquire_lock_timed", snapshot::NativeRole::LockWait),
                    python("transfer", 35)};
        s.threads.push_back(t);
    }
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "deadlock");
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Error);
    // The same threads in a process that crashed by itself: no deadlock claim.
    s.target.signal->senderPid = 100;
    for (const auto& f : diagnosis::diagnose(s).findings) EXPECT_NE(f.id, "deadlock");
}

// Two workers, each in a with-block on one lock and acquiring the other, as
// runtime/ThreadLocks records them; `truth` gets a lock nobody is known to hold.
snapshot::Snapshot lockCycle()
{
    auto s = crashedBy("SIGABRT", 6);
    s.target.signal->senderPid = 42;
    s.threads[0].crashed = false;
    const std::uint64_t lockA = 0xa000, lockB = 0xb000, plain = 0xc000;
    const snapshot::LockName names[] = {{"lock_a", "global", "__main__"}, {"lock_b", "global", "__main__"},
                                        {"lock", "local", "watch"}};
    const std::uint64_t addresses[] = {lockA, lockB, plain};
    for (std::size_t i = 0; i < 3; ++i) {
        snapshot::Lock l;
        l.address = addresses[i];
        l.type = "_thread.lock";
        l.locked = true;
        l.names.push_back(names[i]);
        s.locks.push_back(l);
    }
    struct Worker { const char* name; std::uint64_t frame; std::uint64_t holds; std::uint64_t wants; };
    for (const Worker& w : {Worker{"worker-A", 0x7100, lockA, lockB}, Worker{"worker-B", 0x7200, lockB, lockA},
                            Worker{"watcher", 0x7300, 0, plain}}) {
        snapshot::Thread t;
        t.name = w.name;
        t.threadId = w.frame;
        t.threadStateAddress = 0x6000;
        auto top = python("transfer", 35);
        top.address = w.frame;
        t.frames = {native("futex_wait"), native("do_futex_wait", snapshot::NativeRole::LockWait),
                    native("PyThread_acquire_lock_timed", snapshot::NativeRole::LockWait), top};
        if (w.holds) t.locksHeld.push_back({w.holds, snapshot::LockHoldVia::WithBlock, w.frame});
        t.waitsFor = snapshot::LockWait{w.wants, snapshot::LockWaitVia::Acquire, w.frame};
        s.threads.push_back(t);
    }
    return s;
}

TEST(Diagnosis, DeadlockNamesTheCycleAndEachLocksHolder)
{
    auto d = diagnosis::diagnose(lockCycle());
    ASSERT_FALSE(d.findings.empty());
    const auto& f = d.findings[0];
    EXPECT_EQ(f.id, "deadlock");
    EXPECT_EQ(f.summary, "Deadlock: \"worker-A\" waits for lock_b, held by \"worker-B\", which waits for lock_a, "
                         "held by \"worker-A\".");
    std::map<std::string, std::string> byLock;
    for (const auto& e : f.evidence)
        if (e.kind == "lock" && e.address) byLock[*e.value] = e.text;
    // The watcher waits on a lock nobody in the cycle holds: not part of it.
    ASSERT_EQ(byLock.size(), 2u);
    EXPECT_EQ(byLock["lock_a"], "lock_a (_thread.lock at 0xa000) is held by \"worker-A\" (in a with-block of "
                                "transfer (app.py:35)) and wanted by \"worker-B\" (at transfer (app.py:35))");
    EXPECT_NE(byLock["lock_b"].find("is held by \"worker-B\""), std::string::npos);

    // Without a proven cycle every waiter counts, and a plain acquire() leaves
    // no owner: the evidence says so instead of guessing.
    auto open = lockCycle();
    open.threads[2].locksHeld.clear();   // worker-B's hold unknown
    d = diagnosis::diagnose(open);
    ASSERT_FALSE(d.findings.empty());
    byLock.clear();
    for (const auto& e : d.findings[0].evidence)
        if (e.kind == "lock" && e.address) byLock[*e.value] = e.text;
    ASSERT_EQ(byLock.size(), 3u);
    EXPECT_NE(byLock["lock"].find("(_thread.lock at 0xc000, a local of watch) is held by no thread that can be "
                                  "named"),
              std::string::npos);
}

TEST(Diagnosis, DeadlockWithoutLockFactsSaysOwnersAreUnknown)
{
    auto s = lockCycle();
    s.locks.clear();
    for (auto& t : s.threads) {
        t.locksHeld.clear();
        t.waitsFor.reset();
    }
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "deadlock");
    EXPECT_NE(d.findings[0].summary.find("wait on locks and no thread runs"), std::string::npos);
    EXPECT_NE(d.findings[0].evidence.back().text.find("threading.Lock itself does not record one"), std::string::npos);
}

}  // namespace
