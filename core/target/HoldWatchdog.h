// HoldWatchdog: a bound on how long pyautopsy holds a live target stopped that
// holds even when pyautopsy itself is not running.
//
// pyautopsy releases a target it has held past its limit at its next read
// (LiveProcessTarget), but a pyautopsy frozen by SIGSTOP, descheduled, or
// stuck would hold it for as long as it is frozen. So before the first stop
// a tiny guard process is started: it reads the deadline of the current hold
// from our memory, and if a hold outlives its deadline by kKillGrace it kills
// pyautopsy with SIGKILL. The kernel then detaches every tracee, and a
// seized, interrupted thread runs again. The guard leaves the terminal's
// process group (Ctrl-Z does not stop it) and dies with pyautopsy
// (PR_SET_PDEATHSIG).
//
// The guard shares our address space (clone with CLONE_VM, on a stack of its
// own), so starting it copies no page tables and the stop pays no
// copy-on-write faults, which a fork() made it pay (3 ms -> 8 ms for 8
// threads). In exchange it may only make system calls that cannot fail
// (errno is the creating thread's) and touch nothing but the deadline.
#pragma once

#include <chrono>
#include <memory>

namespace pyautopsy::target {

class HoldWatchdog {
public:
    // Starts the guard. If that fails the watchdog is inert (the in-process
    // release still applies).
    explicit HoldWatchdog(std::chrono::milliseconds limit);
    ~HoldWatchdog();   // ends and reaps the guard
    HoldWatchdog(const HoldWatchdog&) = delete;
    HoldWatchdog& operator=(const HoldWatchdog&) = delete;

    void arm();        // a hold starts now
    void disarm();     // the hold has ended
    // True once the armed hold has lasted longer than the limit.
    bool overdue() const;
    // Async-signal-safe: disarms the hold armed now, if any (a signal handler
    // that released the target, so that a long Ctrl-Z does not get pyautopsy killed).
    static void disarmCurrent();
    std::chrono::milliseconds limit() const { return m_limit; }

    // How long past the limit the guard waits before it kills: the in-process
    // release gets the first chance.
    static constexpr std::chrono::milliseconds kKillGrace{250};

private:
    struct Shared;
    static int runGuard(void* shared);

    std::chrono::milliseconds m_limit;
    Shared* m_shared = nullptr;
    void* m_stack = nullptr;
    int m_guard = -1;
};

}  // namespace pyautopsy::target
