// ProcessStopper: holds every thread of a live process stopped while we read it,
// and guarantees it runs again afterwards.
//
// Attaches with PTRACE_SEIZE + PTRACE_INTERRUPT (no SIGSTOP is sent, so the
// target never sees a signal), re-listing /proc/PID/task until no new thread
// appears. A signal that arrives while a thread is being stopped is handed
// back to it on detach. The destructor detaches every thread.
//
// The target is never left stopped: while any stopper is alive, handlers for
// SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE (and an atexit hook) detach all
// threads before the previous disposition runs; if pyautopsy dies any other
// way (SIGKILL, a crash) the kernel detaches its tracees and they resume.
// A stop signal (Ctrl-Z: SIGTSTP) releases the target before pyautopsy stops.
// And a hold never outlives its limit by more than HoldWatchdog::kKillGrace,
// even when pyautopsy is frozen (SIGSTOP) or starved: see HoldWatchdog.
// ptrace is per tracer thread: create, use and destroy a stopper on one thread.
#pragma once

#include "target/HoldWatchdog.h"
#include "target/ProcessFacts.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target {

class ProcessStopper {
public:
    // Throws pyautopsy::Error(System, "cannot attach to PID: ...") when the
    // process does not exist or ptrace is refused.
    explicit ProcessStopper(int pid, std::chrono::milliseconds maxStop = kDefaultMaxStop);
    ~ProcessStopper();
    ProcessStopper(const ProcessStopper&) = delete;
    ProcessStopper& operator=(const ProcessStopper&) = delete;

    int pid() const { return m_pid; }
    // Threads held stopped, in the order they were found.
    const std::vector<int>& stoppedThreads() const { return m_stopped; }
    // Registers of a stopped thread (PTRACE_GETREGS).
    std::optional<Registers> registers(int tid) const;
    // Resumes the process now; the destructor then has nothing left to do.
    void detach();
    // How long the target was held stopped: from the first PTRACE_INTERRUPT
    // to the return of the last PTRACE_DETACH (an upper bound on any one
    // thread's pause). nullopt until detach() has released a stopped thread.
    std::optional<std::chrono::nanoseconds> stoppedFor() const { return m_stoppedFor; }
    // CPU time this (tracer) thread used in that window: stoppedFor() minus
    // this is time spent waiting for a CPU or for the kernel, not working.
    std::optional<std::chrono::nanoseconds> cpuWhileStopped() const { return m_cpuWhileStopped; }
    // Why the hold must end now, if it must: past its limit, or a stop signal
    // already released the threads. The caller detach()es and says so.
    std::optional<std::string> mustRelease() const;
    // Since the first stop of the current hold (zero when none).
    std::chrono::nanoseconds heldSoFar() const;

    static constexpr std::chrono::milliseconds kDefaultMaxStop{1000};

    static constexpr int kMaxThreads = 8192;
    // A thread in uninterruptible sleep may not stop at once; we wait this long.
    static constexpr std::chrono::milliseconds kStopTimeout{2000};

private:
    int m_pid;
    std::unique_ptr<HoldWatchdog> m_watchdog;
    std::vector<int> m_stopped;
    std::vector<int> m_seizedRunning;  // seized but did not stop within kStopTimeout
    std::optional<std::chrono::steady_clock::time_point> m_firstInterrupt;
    std::chrono::nanoseconds m_cpuAtFirstInterrupt{0};
    std::optional<std::chrono::nanoseconds> m_stoppedFor;
    std::optional<std::chrono::nanoseconds> m_cpuWhileStopped;
};

}  // namespace pyautopsy::target
