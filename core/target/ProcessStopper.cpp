#include "target/ProcessStopper.h"

#include "support/Error.h"
#include "target/PtraceRefusal.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>

namespace pyautopsy::target {

namespace {

static_assert(sizeof(user_regs_struct) == sizeof(Registers), "Registers must match user_regs_struct");

// Every thread any stopper holds, readable from a signal handler: a plain
// array of atomics, no allocation, no locks.
struct Slot {
    std::atomic<int> tid{0};
    std::atomic<int> signal{0};  // handed back on detach
};
Slot g_slots[ProcessStopper::kMaxThreads];

constexpr int kGuardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP};
// Set when a stop signal released every thread: the stopper's own list is stale.
std::atomic<bool> g_releasedByStopSignal{false};
struct sigaction g_previous[NSIG];
bool g_installed[NSIG];
std::mutex g_installMutex;
int g_liveStoppers = 0;

constexpr int kMaxListRounds = 100;  // threads created while we stop others

long detachThread(int tid, int signal)
{
    return ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<std::intptr_t>(signal)));
}

// Async-signal-safe: atomics and the ptrace syscall only. A thread that is
// seized but not yet in its stop cannot be detached (PTRACE_DETACH needs a
// stopped tracee): it keeps its slot, for a later detach, and is counted.
int detachEverything()
{
    int stillHeld = 0;
    for (Slot& slot : g_slots) {
        const int tid = slot.tid.exchange(0);
        if (tid <= 0 || detachThread(tid, slot.signal.load()) == 0) continue;
        // ESRCH: the thread is gone, or seized and not yet in its stop.
        if (::kill(tid, 0) != 0) continue;   // gone
        slot.tid.store(tid);
        ++stillHeld;
    }
    return stillHeld;
}

extern "C" void onTerminatingSignal(int signal)
{
    const int savedErrno = errno;
    detachEverything();
    // Hand the signal to whoever had it before us (by default: terminate).
    ::sigaction(signal, &g_previous[signal], nullptr);
    ::raise(signal);
    errno = savedErrno;
}

// Ctrl-Z: let the target go first, then stop as the user asked; when
// continued, the analysis goes on reading a running process.
extern "C" void onStopSignal(int signal)
{
    const int savedErrno = errno;
    // Nothing held any more: a long stop is then no reason to be killed. A
    // thread caught half-way into its stop stays held, so the guard stays armed.
    if (detachEverything() == 0) HoldWatchdog::disarmCurrent();
    g_releasedByStopSignal.store(true);
    struct sigaction ours {};
    ::sigaction(signal, &g_previous[signal], &ours);
    ::raise(signal);   // blocked while this handler runs: delivered when it returns...
    sigset_t pending;
    sigemptyset(&pending);
    sigaddset(&pending, signal);
    ::sigprocmask(SIG_UNBLOCK, &pending, nullptr);   // ...so unblock it: we stop here
    ::sigaction(signal, &ours, nullptr);              // continued: our handler again
    errno = savedErrno;
}

extern "C" void onExit() { detachEverything(); }

void installGuards()
{
    std::lock_guard lock(g_installMutex);
    if (g_liveStoppers++ > 0) return;
    static const bool atexitRegistered = std::atexit(onExit) == 0;
    (void)atexitRegistered;
    for (int signal : kGuardedSignals) {
        struct sigaction current {};
        ::sigaction(signal, nullptr, &current);
        // An ignored signal ends nothing, so it needs no guard (and must stay ignored).
        if (current.sa_handler == SIG_IGN) continue;
        struct sigaction guard {};
        guard.sa_handler = signal == SIGTSTP ? onStopSignal : onTerminatingSignal;
        sigemptyset(&guard.sa_mask);
        guard.sa_flags = SA_RESTART;
        ::sigaction(signal, &guard, &g_previous[signal]);
        g_installed[signal] = true;
    }
}

void removeGuards()
{
    std::lock_guard lock(g_installMutex);
    if (--g_liveStoppers > 0) return;
    for (int signal : kGuardedSignals) {
        if (!g_installed[signal]) continue;
        ::sigaction(signal, &g_previous[signal], nullptr);
        g_installed[signal] = false;
    }
}

Slot* registerThread(int tid)
{
    for (Slot& slot : g_slots) {
        int expected = 0;
        if (slot.tid.compare_exchange_strong(expected, tid)) {
            slot.signal.store(0);
            return &slot;
        }
    }
    return nullptr;  // more threads than slots: the kernel's detach-on-exit still covers them
}

Slot* slotOf(int tid)
{
    for (Slot& slot : g_slots) {
        if (slot.tid.load() == tid) return &slot;
    }
    return nullptr;
}

std::vector<int> listThreads(int pid)
{
    std::vector<int> tids;
    DIR* dir = ::opendir(fmt::format("/proc/{}/task", pid).c_str());
    if (dir == nullptr) return tids;
    while (dirent* entry = ::readdir(dir)) {
        int tid = std::atoi(entry->d_name);
        if (tid > 0) tids.push_back(tid);
    }
    ::closedir(dir);
    std::sort(tids.begin(), tids.end());
    return tids;
}

std::chrono::nanoseconds threadCpuTime()
{
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// PTRACE_SEIZE, retried briefly on EPERM: seen once on a loaded machine for
// a process nothing else traced, and not reproducible; a few milliseconds of
// retries cost nothing when the refusal is real.
long seizeThread(int tid)
{
    for (int attempt = 0;; ++attempt) {
        long result = ::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr);
        if (result == 0 || errno != EPERM || attempt == 4) return result;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

// True when the thread is gone or a zombie (exiting): seizing it fails with
// EPERM, and it has no stack left to read anyway.
bool threadIsExiting(int pid, int tid)
{
    std::ifstream in(fmt::format("/proc/{}/task/{}/stat", pid, tid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return true;
    const char state = stat[close + 2];
    return state == 'Z' || state == 'X';
}

// Why seizing `tid` failed, with what to do about it, in one line.
std::string attachError(int pid, int tid, int error)
{
    const std::string which = tid != pid ? fmt::format(" (thread {})", tid) : std::string();
    return explainRefusal(pid, which, error, gatherPtraceFacts(pid, tid));
}

enum class StopResult { Stopped, Gone, Timeout };

// Waits for the stop PTRACE_INTERRUPT asked for, polling so a thread stuck in
// uninterruptible sleep cannot hang us.
StopResult waitForStop(int tid, Slot* slot, std::chrono::steady_clock::time_point deadline)
{
    auto pause = std::chrono::microseconds(10);
    while (true) {
        int status = 0;
        pid_t got = ::waitpid(tid, &status, __WALL | WNOHANG);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return StopResult::Gone;
        if (got == tid) {
            if (WIFEXITED(status) || WIFSIGNALED(status)) return StopResult::Gone;
            const int event = status >> 16;
            // Not an interrupt/group stop: a signal was being delivered. Keep it
            // for the detach so the target still receives it.
            if (WIFSTOPPED(status) && event != PTRACE_EVENT_STOP && slot != nullptr)
                slot->signal.store(WSTOPSIG(status));
            return StopResult::Stopped;
        }
        if (std::chrono::steady_clock::now() > deadline) return StopResult::Timeout;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
}

}  // namespace

ProcessStopper::ProcessStopper(int pid, std::chrono::milliseconds maxStop) : m_pid(pid)
{
    if (pid <= 0 || listThreads(pid).empty())
        throw Error(ErrorKind::System, fmt::format("cannot attach to PID {}: no such process", pid));

    // Before the first stop: forking it later would lengthen the stop.
    m_watchdog = std::make_unique<HoldWatchdog>(maxStop);
    g_releasedByStopSignal.store(false);
    installGuards();
    std::vector<int> seized;
    const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
    for (int round = 0; round < kMaxListRounds; ++round) {
        std::vector<int> fresh;
        for (int tid : listThreads(pid)) {
            if (std::find(seized.begin(), seized.end(), tid) == seized.end()) fresh.push_back(tid);
        }
        if (fresh.empty()) break;

        // Seize and interrupt all new threads first, then wait: they stop in parallel.
        std::vector<int> interrupted;
        for (int tid : fresh) {
            // Registered before the seize, so that a signal handler sees every thread we may hold.
            Slot* slot = registerThread(tid);
            // The hold starts with the seize, not the interrupt: a seized thread
            // stops at its next signal and waits for us, so a pyautopsy frozen
            // between the two must be bounded too.
            if (!m_firstInterrupt) m_watchdog->arm();
            if (seizeThread(tid) != 0) {
                const int error = errno;
                if (slot != nullptr) slot->tid.store(0);
                if (error == ESRCH) continue;  // the thread exited meanwhile
                // The kernel refuses a thread that is already exiting with EPERM.
                if (error == EPERM && tid != pid && threadIsExiting(pid, tid)) continue;
                // This round's threads are seized but not yet waited for: let them go too.
                m_seizedRunning.insert(m_seizedRunning.end(), interrupted.begin(), interrupted.end());
                detach();
                removeGuards();
                throw Error(ErrorKind::System, attachError(pid, tid, error));
            }
            seized.push_back(tid);
            if (!m_firstInterrupt) {
                m_cpuAtFirstInterrupt = threadCpuTime();
                m_firstInterrupt = std::chrono::steady_clock::now();
            }
            if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0) interrupted.push_back(tid);
        }
        for (int tid : interrupted) {
            switch (waitForStop(tid, slotOf(tid), deadline)) {
            case StopResult::Stopped: m_stopped.push_back(tid); break;
            case StopResult::Timeout: m_seizedRunning.push_back(tid); break;
            case StopResult::Gone:
                if (Slot* slot = slotOf(tid)) slot->tid.store(0);
                break;
            }
        }
    }
    if (seized.empty()) m_watchdog->disarm();   // every thread was gone before its seize: nothing held
    // Tests widen the hold, to freeze or kill pyautopsy inside it (tests/reliability).
    if (const char* hold = std::getenv("PYAUTOPSY_TEST_HOLD_MS"))
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(hold)));
}

ProcessStopper::~ProcessStopper()
{
    detach();
    removeGuards();
}

void ProcessStopper::detach()
{
    const bool heldAny = !m_stopped.empty() || !m_seizedRunning.empty();
    for (int tid : m_stopped) {
        Slot* slot = slotOf(tid);
        if (slot == nullptr) continue;  // a signal handler detached it already
        const int signal = slot->signal.load();
        slot->tid.store(0);
        detachThread(tid, signal);
    }
    // A thread that never stopped cannot be detached with PTRACE_DETACH; give it
    // a last short chance to reach its stop, then let it go.
    for (int tid : m_seizedRunning) {
        Slot* slot = slotOf(tid);
        if (waitForStop(tid, slot, std::chrono::steady_clock::now() + std::chrono::milliseconds(100))
            == StopResult::Stopped) {
            detachThread(tid, slot != nullptr ? slot->signal.load() : 0);
        }
        if (slot != nullptr) slot->tid.store(0);
    }
    if (heldAny && m_firstInterrupt) {
        m_stoppedFor = std::chrono::steady_clock::now() - *m_firstInterrupt;
        m_cpuWhileStopped = threadCpuTime() - m_cpuAtFirstInterrupt;
    }
    if (m_watchdog) m_watchdog->disarm();
    m_stopped.clear();
    m_seizedRunning.clear();
}

std::chrono::nanoseconds ProcessStopper::heldSoFar() const
{
    if (!m_firstInterrupt || (m_stopped.empty() && m_seizedRunning.empty())) return std::chrono::nanoseconds(0);
    return std::chrono::steady_clock::now() - *m_firstInterrupt;
}

std::optional<std::string> ProcessStopper::mustRelease() const
{
    if (!m_firstInterrupt) return std::nullopt;
    // Even when the stop signal came in the middle of stopping the threads
    // and none is held now: what is read next is read from a running process.
    if (g_releasedByStopSignal.load()) return std::string("pyautopsy was stopped (SIGTSTP) and let the target go first");
    if (m_stopped.empty() && m_seizedRunning.empty()) return std::nullopt;
    if (m_watchdog && m_watchdog->overdue())
        return fmt::format("the stop limit of {} ms passed (--max-stop-ms)", m_watchdog->limit().count());
    return std::nullopt;
}

std::optional<Registers> ProcessStopper::registers(int tid) const
{
    if (std::find(m_stopped.begin(), m_stopped.end(), tid) == m_stopped.end()) return std::nullopt;
    user_regs_struct regs;
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return std::nullopt;
    Registers out;
    std::memcpy(&out, &regs, sizeof out);
    return out;
}

}  // namespace pyautopsy::target
