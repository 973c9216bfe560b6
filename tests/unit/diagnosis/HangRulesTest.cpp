// The hang rules on hand-built snapshots: exit-hang, fork-held-lock,
// gil-held-blocking, the certainty of a proven deadlock cycle, and causes
// shown before what followed from a kill.
#include "diagnosis/Diagnose.h"
#include "diagnosis/SnapshotQueries.h"
#include "snapshot/Syscalls.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace pyautopsy;

namespace {

snapshot::Frame python(const std::string& name, int line, const std::string& file = "app.py")
{
    snapshot::Frame f;
    f.function = name;
    f.file = file;
    f.line = line;
    return f;
}

snapshot::Frame native(const std::string& name, snapshot::NativeRole role)
{
    snapshot::Frame f;
    f.kind = snapshot::FrameKind::Native;
    f.function = name;
    f.role = role;
    f.file = "/usr/lib/libpython3.12.so.1.0";
    return f;
}

// A process killed from outside (a CI timeout), or a live one read without native frames.
snapshot::Snapshot process(bool killed)
{
    snapshot::Snapshot s;
    s.target.kind = killed ? "core" : "process";
    s.target.pid = 100;
    if (killed) {
        snapshot::Signal sig;
        sig.name = "SIGABRT";
        sig.number = 6;
        sig.senderPid = 42;
        s.target.signal = sig;
    }
    return s;
}

snapshot::Thread thread(const std::string& name, std::uint64_t ident, bool daemon)
{
    snapshot::Thread t;
    t.name = name;
    t.threadId = ident;
    t.nativeId = static_cast<std::int64_t>(ident);
    t.daemon = daemon;
    t.threadStateAddress = 0x6000 + ident;
    return t;
}

void addLock(snapshot::Snapshot& s, std::uint64_t address, const std::string& name, const std::string& scope)
{
    snapshot::Lock l;
    l.address = address;
    l.type = "_thread.lock";
    l.locked = true;
    l.names.push_back({name, scope, scope == "global" ? "__main__" : "f"});
    s.locks.push_back(l);
}

void waitOn(snapshot::Thread& t, std::uint64_t lock)
{
    t.waitsFor = snapshot::LockWait{lock, snapshot::LockWaitVia::Acquire, 0x7000};
    t.syscall = snapshot::kSysFutex;
}

std::vector<std::string> ids(const diagnosis::Diagnosis& d)
{
    std::vector<std::string> out;
    for (const auto& f : d.findings) out.push_back(f.id);
    return out;
}

// Main in threading._shutdown(), one non-daemon worker and one idle daemon
// thread waiting on locks nobody is known to hold.
snapshot::Snapshot atExit(bool killed, bool workerBlocked)
{
    auto s = process(killed);
    auto main = thread("MainThread", 1, false);
    main.main = true;
    main.frames = {python("_shutdown", 1623, "/usr/lib/python3.12/threading.py")};
    main.syscall = snapshot::kSysFutex;
    s.threads.push_back(main);
    addLock(s, 0xa000, "jobs_ready", "global");
    addLock(s, 0xb000, "idle", "local");
    auto worker = thread("consumer", 2, false);
    worker.frames = {python("consume", 34)};
    if (workerBlocked) waitOn(worker, 0xa000);
    s.threads.push_back(worker);
    auto idler = thread("idler", 3, true);
    idler.frames = {python("idle", 46)};
    waitOn(idler, 0xb000);
    s.threads.push_back(idler);
    return s;
}

TEST(HangRules, ExitHangNamesTheNonDaemonThreadAndIsNoDeadlock)
{
    auto d = diagnosis::diagnose(atExit(true, true));
    ASSERT_FALSE(d.findings.empty());
    const auto& f = d.findings[0];
    EXPECT_EQ(f.id, "exit-hang");
    EXPECT_EQ(f.severity, diagnosis::Severity::Error);
    EXPECT_NE(f.summary.find("\"consumer\""), std::string::npos);
    EXPECT_EQ(f.summary.find("idler"), std::string::npos);
    auto all = ids(d);
    EXPECT_EQ(std::count(all.begin(), all.end(), "deadlock"), 0);
    EXPECT_EQ(std::count(all.begin(), all.end(), "finalization-race"), 0);
}

TEST(HangRules, ExitHangIsAWarningWhileAThreadMayStillRun)
{
    auto d = diagnosis::diagnose(atExit(false, false));
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "exit-hang");
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Warning);
}

TEST(HangRules, TheHangComesBeforeWhatTheKillSkipped)
{
    // A warning-level cause still comes before the kill's error-level consequence.
    auto s = atExit(true, false);
    snapshot::Interpreter interp;
    interp.main = true;
    snapshot::AtexitState atexit;
    atexit.status = snapshot::AtexitStatus::Calling;   // 3.12+: interp->finalizing is set before _shutdown()
    atexit.callbacks.push_back({0xc000, "function", std::string("save_results"), std::string("__main__"), 0, 0});
    interp.state.atexit = atexit;
    s.interpreters.push_back(interp);
    auto d = diagnosis::diagnose(s);
    ASSERT_EQ(ids(d), (std::vector<std::string>{"exit-hang", "killed-pending-atexit"}));
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Warning);
    EXPECT_EQ(d.findings[1].severity, diagnosis::Severity::Error);
}

// Two workers, each holding one lock (as an RLock records its owner) and
// waiting for the other's; `syscall` is where their waits sleep.
snapshot::Snapshot lockCycle(int syscall)
{
    auto s = process(false);
    addLock(s, 0xa000, "lock_a", "global");
    addLock(s, 0xb000, "lock_b", "global");
    auto a = thread("worker-A", 1, false);
    auto b = thread("worker-B", 2, false);
    a.frames = {python("transfer", 35)};
    b.frames = {python("transfer", 43)};
    a.locksHeld.push_back({0xa000, snapshot::LockHoldVia::OwnerField, std::nullopt});
    b.locksHeld.push_back({0xb000, snapshot::LockHoldVia::OwnerField, std::nullopt});
    waitOn(a, 0xb000);
    waitOn(b, 0xa000);
    a.syscall = b.syscall = syscall;
    s.threads = {a, b};
    return s;
}

TEST(HangRules, AProvenCycleIsAnErrorInALiveProcess)
{
    auto s = lockCycle(snapshot::kSysFutex);
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "deadlock");
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Error);
    // Made without native frames: no "not analysed" line contradicts it.
    for (const auto& n : d.notAnalysed) EXPECT_NE(n.rule, "deadlock");
    // Without the holders there is no proven cycle: a warning while it lives.
    for (auto& t : s.threads) t.locksHeld.clear();
    d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Warning);
}

snapshot::Snapshot forkChild(const std::string& scope)
{
    auto s = process(true);
    snapshot::ForkOrigin origin;
    origin.parentPid = 99;
    origin.how = "multiprocessing forked it";
    s.forkedFrom = origin;
    addLock(s, 0xa000, "registry_lock", scope);
    auto main = thread("MainThread", 1, false);
    main.main = true;
    main.frames = {python("lookup", 47)};
    waitOn(main, 0xa000);
    s.threads.push_back(main);
    return s;
}

TEST(HangRules, ForkHeldLockNamesTheLockTheParentHeld)
{
    auto d = diagnosis::diagnose(forkChild("global"));
    ASSERT_FALSE(d.findings.empty());
    const auto& f = d.findings[0];
    EXPECT_EQ(f.id, "fork-held-lock");
    EXPECT_EQ(f.severity, diagnosis::Severity::Error);
    EXPECT_NE(f.summary.find("registry_lock"), std::string::npos);
    EXPECT_NE(f.summary.find("pid 99"), std::string::npos);
    // A lock only a local knows was most likely made, and taken, after the fork.
    EXPECT_TRUE(diagnosis::diagnose(forkChild("local")).findings.empty());
    // Not a fork child: nothing to say about the fork.
    auto s = forkChild("global");
    s.forkedFrom.reset();
    for (const auto& id : ids(diagnosis::diagnose(s))) EXPECT_NE(id, "fork-held-lock");
}

TEST(HangRules, ForkHeldRLockWhoseOwnerIsNoThreadHere)
{
    auto s = forkChild("local");
    s.locks[0].type = "_thread.RLock";
    s.locks[0].ownerThreadId = 77;     // the parent's thread
    s.threads.push_back(thread("helper", 2, true));
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "fork-held-lock");
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Error);
}

snapshot::Snapshot gilHeld(bool withNative, int holderSyscall)
{
    auto s = process(true);
    auto holder = thread("device-poller", 1, true);
    holder.holdsGil = true;
    holder.syscall = holderSyscall;
    holder.frames = {python("poll_device", 40)};
    auto waiter = thread("ticker", 2, true);
    waiter.holdsGil = false;
    waiter.syscall = snapshot::kSysFutex;
    waiter.frames = {python("spin", 28)};
    if (withNative) {
        holder.frames.insert(holder.frames.begin(), native("sleep", snapshot::NativeRole::None));
        waiter.frames.insert(waiter.frames.begin(), native("take_gil", snapshot::NativeRole::GilWait));
        waiter.status = snapshot::ThreadStatus::WaitingForGil;
    }
    s.threads = {holder, waiter};
    return s;
}

TEST(HangRules, GilHeldAcrossABlockingCall)
{
    const int clockNanosleep = 230;
    auto d = diagnosis::diagnose(gilHeld(true, clockNanosleep));
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "gil-held-blocking");
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Error);
    EXPECT_NE(d.findings[0].summary.find("clock_nanosleep"), std::string::npos);
    // Without native frames the waiters are not proven...
    d = diagnosis::diagnose(gilHeld(false, clockNanosleep));
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Warning);
    // ...unless a waiter has asked the holder to drop the GIL: someone waits.
    auto requested = gilHeld(false, clockNanosleep);
    requested.threads[0].gilDropRequested = true;
    d = diagnosis::diagnose(requested);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].severity, diagnosis::Severity::Error);
    EXPECT_NE(d.findings[0].summary.find("a thread waiting for it (most likely \"ticker\") cannot"), std::string::npos)
        << d.findings[0].summary;
    // A holder in futex may be handing the GIL over: nothing claimed.
    for (const auto& id : ids(diagnosis::diagnose(gilHeld(true, snapshot::kSysFutex))))
        EXPECT_NE(id, "gil-held-blocking");
}

}  // namespace

namespace {

TEST(HangRules, FinalizationRaceCountsDroppedThreadsWaitingForTheGil)
{
    snapshot::Snapshot s;
    s.target.kind = "core";
    s.target.pid = 100;
    snapshot::Signal sig;
    sig.name = "SIGABRT";
    sig.number = 6;
    sig.senderPid = 100;    // abort() in a __del__ during finalization
    s.target.signal = sig;
    s.runtime.finalizing = true;
    auto main = thread("MainThread", 1, false);
    main.main = true;
    main.crashed = true;
    main.frames = {python("__del__", 57)};
    s.threads.push_back(main);
    // 3.14+: a daemon thread whose state finalization dropped, parked for
    // good when it went back for the GIL; another whose OS thread does not say.
    auto parked = thread("daemon-spinner-1", 2, true);
    parked.threadStateAddress = 0;
    parked.frames = {native("take_gil", snapshot::NativeRole::GilWait)};
    s.threads.push_back(parked);
    auto unknown = thread("daemon-spinner-2", 3, true);
    unknown.threadStateAddress = 0;
    s.threads.push_back(unknown);
    auto d = diagnosis::diagnose(s);
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "finalization-race");
    EXPECT_NE(d.findings[0].summary.find("(1 of them without a thread state, waiting for the GIL)"), std::string::npos);
}

}  // namespace

namespace {

snapshot::Snapshot loopBlockedIn(bool blocked)
{
    auto s = process(true);
    auto main = thread("MainThread", 1, false);
    main.main = true;
    main.frames = {python("handle_request", 37)};
    if (blocked) main.syscall = 230;    // clock_nanosleep: time.sleep() in a coroutine
    s.threads.push_back(main);
    snapshot::EventLoop loop;
    loop.address = 0xe000;
    loop.type = "_UnixSelectorEventLoop";
    loop.threadId = 1;
    snapshot::AsyncTask handler;
    handler.address = 0xe100;
    handler.name = "handler";
    handler.state = "pending";
    handler.running = true;
    snapshot::AsyncTask outer;
    outer.address = 0xe200;
    outer.name = "Task-1";
    outer.state = "pending";
    outer.awaits = {0xe100};            // waits for the handler anyway: not starved
    snapshot::AsyncTask heartbeat;
    heartbeat.address = 0xe300;
    heartbeat.name = "heartbeat";
    heartbeat.state = "pending";
    loop.tasks = {handler, outer, heartbeat};
    s.asyncio.loops.push_back(loop);
    return s;
}

TEST(HangRules, BlockedEventLoopNamesTheTaskAndWhomItStarves)
{
    auto d = diagnosis::diagnose(loopBlockedIn(true));
    ASSERT_FALSE(d.findings.empty());
    const auto& f = d.findings[0];
    EXPECT_EQ(f.id, "blocked-event-loop");
    EXPECT_EQ(f.severity, diagnosis::Severity::Error);
    EXPECT_NE(f.summary.find("task \"handler\""), std::string::npos);
    EXPECT_EQ(f.evidence.back().text, "1 pending task of this loop cannot run until it returns: \"heartbeat\"");
    // A loop thread not proven blocked may be running the task: nothing claimed.
    EXPECT_TRUE(diagnosis::diagnose(loopBlockedIn(false)).findings.empty());
}

}  // namespace

namespace {

TEST(HangRules, AWaitAStopInterruptedStillCounts)
{
    // A timed wait interrupted by a stop (an earlier `pyautopsy pid`, a
    // debugger) goes on in restart_syscall: still a lock wait.
    auto d = diagnosis::diagnose(lockCycle(snapshot::kSysRestart));
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].id, "deadlock");
    // Any other system call is no lock wait, and proves nothing.
    d = diagnosis::diagnose(lockCycle(0));
    EXPECT_TRUE(std::none_of(d.findings.begin(), d.findings.end(),
                             [](const diagnosis::Finding& f) { return f.id == "deadlock"; }));
}

// The main thread imports plugin_registry, whose top level joins a worker
// that waits for the module's import lock; a third thread waits elsewhere.
snapshot::Snapshot importJoin(bool ownerKnown)
{
    auto s = process(true);
    snapshot::Lock importLock;
    importLock.address = 0xc000;
    importLock.type = "importlib._ModuleLock";
    importLock.locked = true;
    if (ownerKnown) importLock.ownerThreadId = 1;
    importLock.names.push_back({"the import lock of module 'plugin_registry'", "import", "plugin_registry"});
    s.locks.push_back(importLock);
    addLock(s, 0xd000, "idle", "local");
    auto main = thread("MainThread", 1, false);
    main.main = true;
    main.frames = {python("join", 1092, "/usr/lib/python3.13/threading.py"),
                   python("<module>", 16, "plugin_registry.py"),
                   python("_find_and_load", 1360, "<frozen importlib._bootstrap>"), python("main", 72)};
    main.joins = snapshot::ThreadJoin{2, 0x7100};
    main.syscall = snapshot::kSysFutex;
    if (ownerKnown) main.locksHeld.push_back({0xc000, snapshot::LockHoldVia::OwnerField, std::nullopt});
    auto worker = thread("registry-warm-up", 2, false);
    worker.frames = {python("acquire", 365, "<frozen importlib._bootstrap>"), python("warm_up", 9, "plugin_registry.py")};
    waitOn(worker, 0xc000);
    auto bystander = thread("truth-watcher", 3, true);
    bystander.frames = {python("settle", 63)};
    waitOn(bystander, 0xd000);
    s.threads = {main, worker, bystander};
    return s;
}

TEST(HangRules, AJoinAndAnImportLockCloseACycle)
{
    auto d = diagnosis::diagnose(importJoin(true));
    ASSERT_FALSE(d.findings.empty());
    const auto& f = d.findings[0];
    EXPECT_EQ(f.id, "deadlock");
    EXPECT_EQ(f.severity, diagnosis::Severity::Error);
    EXPECT_NE(f.summary.find("\"MainThread\" waits in Thread.join() for \"registry-warm-up\" to finish, which waits "
                             "for the import lock of module 'plugin_registry', held by \"MainThread\""),
              std::string::npos)
        << f.summary;
    EXPECT_NE(f.advice.find("import lock"), std::string::npos);
    for (const auto& e : f.evidence) EXPECT_EQ(e.text.find("truth-watcher"), std::string::npos) << e.text;
    // Without the owner importlib records, no cycle is proven: the old finding.
    d = diagnosis::diagnose(importJoin(false));
    ASSERT_FALSE(d.findings.empty());
    EXPECT_EQ(d.findings[0].summary.find("which waits"), std::string::npos);
}

TEST(HangRules, UnnamedThreadsReadAsOneNoun)
{
    auto t = thread("x", 0x7f00, true);
    t.name.reset();
    EXPECT_EQ(diagnosis::threadNoun(t, "daemon"), "daemon thread 0x7f00 (native 32512)");
    t.main = true;
    EXPECT_EQ(diagnosis::threadNoun(t, "crashing"), "crashing main thread (native 32512)");
    t.name = "MainThread";
    EXPECT_EQ(diagnosis::threadNoun(t), "thread \"MainThread\" (native 32512)");
}

}  // namespace
