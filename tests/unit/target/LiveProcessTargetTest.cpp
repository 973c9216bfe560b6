#include "target/LiveProcessTarget.h"

#include "TestProcesses.h"
#include "support/Error.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"
#include "target/ProcessMemory.h"
#include "target/ProcessStopper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace pyautopsy;
using namespace pyautopsy::target;
using namespace pyautopsy::target::testing;

namespace {

const char* kFiveThreads =
    "import threading, time\n"
    "for _ in range(5): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n";

// Waits (bounded) until the process leaves the traced-stop state.
// Polls for up to 5 s: on a loaded CI machine a released thread may take a
// while to be scheduled and leave its stopped state.
bool runsAgain(int pid)
{
    for (int i = 0; i < 1000; ++i) {
        char state = processState(pid);
        if (state != 't' && state != 'T') return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

}  // namespace

TEST(LiveProcessTarget, StoppedTargetShowsThreadsRegistersAndMemory)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    {
        auto live = LiveProcessTarget::attach(child.pid(), {});
        EXPECT_EQ(live->kind(), "process");
        // Attaching alone does not stop the process: freeze() does.
        EXPECT_NE(processState(child.pid()), 't');
        live->freeze();
        EXPECT_EQ(processState(child.pid()), 't');
        EXPECT_EQ(live->process().pid, child.pid());
        EXPECT_EQ(live->process().ppid, ::getpid());
        EXPECT_EQ(live->process().executable, kPython);
        EXPECT_NE(live->process().command.find("threading"), std::string::npos);

        const auto& threads = live->threads();
        ASSERT_EQ(threads.size(), 6u);
        EXPECT_EQ(threads[0].tid, child.pid());
        EXPECT_EQ(threads[0].name, "python3.11");
        for (const ThreadInfo& thread : threads) {
            ASSERT_TRUE(thread.registers) << thread.tid;
            EXPECT_NE(thread.registers->rip, 0u);
        }

        ModuleIndex modules(*live);
        ASSERT_NE(modules.mainExecutable(), nullptr);
        EXPECT_EQ(modules.mainExecutable()->path, kPython);
        auto runtime = modules.findSymbol("_PyRuntime");
        ASSERT_TRUE(runtime);
        Memory memory(*live);
        EXPECT_EQ(memory.read<std::int32_t>(*runtime), 1);        // _initialized
        EXPECT_EQ(memory.read<std::int32_t>(*runtime + 16), 1);   // initialized
        EXPECT_EQ(memory.readCString(0x400001, 3), "ELF");
        EXPECT_TRUE(modules.warnings().empty()) << modules.warnings().front();
        EXPECT_THROW(memory.readPointer(0), MemoryFault);
    }
    EXPECT_TRUE(runsAgain(child.pid())) << "state " << processState(child.pid());
}

TEST(LiveProcessTarget, WithoutStoppingThereAreNoRegisters)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    auto live = LiveProcessTarget::attach(child.pid(), {.stopThreads = false});
    live->freeze();
    EXPECT_NE(processState(child.pid()), 't');
    EXPECT_EQ(live->threads().size(), 6u);
    for (const ThreadInfo& thread : live->threads()) EXPECT_FALSE(thread.registers);
    Memory memory(*live);
    EXPECT_EQ(memory.readCString(0x400001, 3), "ELF");
}

TEST(LiveProcessTarget, ResumeLetsTheProcessRunBeforeDestruction)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    auto live = LiveProcessTarget::attach(child.pid(), {});
    live->freeze();
    EXPECT_EQ(processState(child.pid()), 't');
    live->resume();
    EXPECT_TRUE(runsAgain(child.pid()));
    EXPECT_EQ(Memory(*live).readCString(0x400001, 3), "ELF");
}

// The figure behind `pyautopsy pid --stats` and bench/run's "target stopped".
TEST(LiveProcessTarget, ResumeTellsHowLongTheProcessWasStopped)
{
    using namespace std::chrono_literals;
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    auto live = LiveProcessTarget::attach(child.pid(), {});
    live->freeze();
    EXPECT_FALSE(live->stoppedFor()) << "known only once the process runs again";
    std::this_thread::sleep_for(30ms);
    live->resume();
    ASSERT_TRUE(live->stoppedFor());
    EXPECT_GE(*live->stoppedFor(), 30ms);
    EXPECT_LT(*live->stoppedFor(), 30s);
    ASSERT_TRUE(live->cpuWhileStopped());
    // Sleeping costs no CPU: the CPU share must leave out most of the 30 ms.
    EXPECT_LT(*live->cpuWhileStopped(), *live->stoppedFor() - 20ms);

    auto unstopped = LiveProcessTarget::attach(child.pid(), {.stopThreads = false});
    unstopped->resume();
    EXPECT_FALSE(unstopped->stoppedFor());
}

// `pid`: the walk rehearsed while the process runs tells which pages to copy
// right after the stop, in a few scattered process_vm_readv calls. A page
// that cannot be read is skipped and the pages after it are still copied.
TEST(ProcessMemory, RecordedPagesAreCopiedInOneGoSkippingUnreadableOnes)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    auto live = LiveProcessTarget::attach(child.pid(), {.stopThreads = false});
    // The first page of a readable mapping followed by a gap, a page of that
    // gap, and the first page of the mapping after it.
    const auto& mappings = live->mappings();
    std::uint64_t first = 0, gap = 0, after = 0;
    for (std::size_t i = 0; i + 1 < mappings.size(); ++i) {
        if (mappings[i].end < mappings[i + 1].start && mappings[i].end - mappings[i].start >= 2 * 4096
            && mappings[i].readable && mappings[i + 1].readable) {
            first = mappings[i].start;
            gap = mappings[i].end;
            after = mappings[i + 1].start;
            break;
        }
    }
    ASSERT_NE(gap, 0u);

    ProcessMemory memory(child.pid());
    memory.recordPages(true);
    std::uint64_t firstWord = 0, afterWord = 0, gapWord = 0;
    ASSERT_EQ(memory.read(first, &firstWord, 8), 8u);
    EXPECT_EQ(memory.read(gap + 8, &gapWord, 8), 0u);
    ASSERT_EQ(memory.read(after + 16, &afterWord, 8), 8u);
    ASSERT_EQ(memory.read(first + 4090, &firstWord, 8), 8u);   // crosses into the next page
    memory.recordPages(false);

    memory.setCacheMode(ProcessMemory::CacheMode::Cached);
    EXPECT_EQ(memory.prefetchRecorded(), 3u);   // first, first + 4096, after
    EXPECT_EQ(memory.prefetchRecorded(), 0u) << "the recorded pages are forgotten once copied";
    std::uint64_t again = 0;
    ASSERT_EQ(memory.read(first + 4090, &again, 8), 8u);
    EXPECT_EQ(again, firstWord);
    ASSERT_EQ(memory.read(after + 16, &again, 8), 8u);
    EXPECT_EQ(again, afterWord);
    EXPECT_EQ(memory.read(gap + 8, &again, 8), 0u);

    // The copy, once the process runs: the copied pages are served, the page
    // that was unreadable is still no miss, any other page is one.
    memory.setCacheMode(ProcessMemory::CacheMode::Copy);
    ASSERT_EQ(memory.read(after + 16, &again, 8), 8u);
    EXPECT_EQ(again, afterWord);
    EXPECT_EQ(memory.read(gap + 8, &again, 8), 0u);
    EXPECT_EQ(memory.copyMisses(), 0u);
    ASSERT_EQ(memory.read(first + 2 * 4096, &again, 8), 8u);
    EXPECT_EQ(memory.copyMisses(), 1u) << "a page the copy lacks is read from the running process, and counted";
    memory.setCacheMode(ProcessMemory::CacheMode::Off);
}

// `pid`'s walks: a rehearsal while the process runs, then a copy taken in a
// short stop, read while it runs again; a walk that needed a page beyond
// the copy is walked again from a new one; after kCopyWalks copies, the
// process is held for the whole walk. A target that does not stop walks once.
TEST(LiveProcessTarget, WalksRehearseThenReadACopyThenHold)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    auto running = LiveProcessTarget::attach(child.pid(), {.stopThreads = false});
    running->beginWalk();
    EXPECT_TRUE(running->walkWasConsistent());

    auto live = LiveProcessTarget::attach(child.pid(), {});
    ModuleIndex modules(*live);
    auto runtime = modules.findSymbol("_PyRuntime");
    ASSERT_TRUE(runtime);
    Memory memory(*live);

    live->beginWalk();
    EXPECT_NE(processState(child.pid()), 't') << "rehearsing does not stop the process";
    EXPECT_EQ(memory.read<std::int32_t>(*runtime), 1);
    EXPECT_FALSE(live->walkWasConsistent()) << "a rehearsal is never one moment";

    live->beginWalk();   // the copy: stopped, copied, let go
    EXPECT_TRUE(runsAgain(child.pid()));
    EXPECT_EQ(live->stops(), 1);
    ASSERT_TRUE(live->stoppedFor());
    for (const ThreadInfo& thread : live->threads()) EXPECT_TRUE(thread.registers) << thread.tid;
    EXPECT_EQ(live->threads().size(), 6u);
    EXPECT_EQ(live->threads()[0].name, "python3.11");
    EXPECT_EQ(memory.read<std::int32_t>(*runtime), 1);
    EXPECT_TRUE(live->walkWasConsistent()) << "it read only what the rehearsal read";
    EXPECT_EQ(memory.readCString(0x400001, 3), "ELF");
    EXPECT_FALSE(live->walkWasConsistent()) << "a page beyond the copy";

    for (int copy = 2; copy <= LiveProcessTarget::kCopyWalks; ++copy) {
        live->beginWalk();
        EXPECT_TRUE(runsAgain(child.pid()));
        EXPECT_EQ(memory.readCString(0x400001, 3), "ELF");
        EXPECT_TRUE(live->walkWasConsistent()) << "the last walk's pages were copied";
        memory.readCString(0x400001 + 8192, 3);
        EXPECT_FALSE(live->walkWasConsistent());
    }
    live->beginWalk();   // held, for the whole walk
    EXPECT_EQ(processState(child.pid()), 't');
    EXPECT_EQ(memory.readCString(0x400001, 3), "ELF");
    (void)memory.read<std::uint8_t>(0x400000 + 3 * 4096);   // not copied: read under the stop
    EXPECT_TRUE(live->walkWasConsistent());
    live->resume();
    EXPECT_TRUE(runsAgain(child.pid()));
    EXPECT_EQ(live->stops(), LiveProcessTarget::kCopyWalks + 1);
    EXPECT_GE(*live->stoppedFor(), live->longestStop());
    live->beginWalk();
    EXPECT_NE(processState(child.pid()), 't') << "never stopped again once resumed";
}

TEST(LiveProcessTarget, MissingProcessIsASystemError)
{
    try {
        LiveProcessTarget::attach(999999999, {});
        FAIL() << "attached to a missing process";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::System);
        EXPECT_NE(std::string(error.what()).find("cannot attach to PID 999999999"), std::string::npos);
    }
}

// The promise that a target is never left stopped, tested the hard way: a
// tracer that holds the target stopped is killed, and the target must run.
class KilledTracer : public ::testing::TestWithParam<int> {};

TEST_P(KilledTracer, TargetResumesWhenTheTracerDies)
{
    PythonChild child(kFiveThreads);
    ASSERT_TRUE(child.ready());
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t tracer = ::fork();
    if (tracer == 0) {
        ::close(fds[0]);
        ProcessStopper stopper(child.pid());
        char ok = stopper.stoppedThreads().size() == 6 ? 'y' : 'n';
        (void)!::write(fds[1], &ok, 1);
        while (true) ::pause();
    }
    ::close(fds[1]);
    char ok = 0;
    ASSERT_EQ(::read(fds[0], &ok, 1), 1);
    ::close(fds[0]);
    EXPECT_EQ(ok, 'y');
    EXPECT_EQ(processState(child.pid()), 't');

    ::kill(tracer, GetParam());
    int status = 0;
    ::waitpid(tracer, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == GetParam());
    EXPECT_TRUE(runsAgain(child.pid())) << "state " << processState(child.pid());
    EXPECT_EQ(::kill(child.pid(), 0), 0) << "the target must survive its tracer";
}

INSTANTIATE_TEST_SUITE_P(Signals, KilledTracer, ::testing::Values(SIGKILL, SIGTERM, SIGINT, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& param) { return "signal" + std::to_string(param.param); });
