#include "target/HoldWatchdog.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define PYAUTOPSY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PYAUTOPSY_ASAN 1
#endif
#endif
#ifdef PYAUTOPSY_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace pyautopsy::target {

// What the guard reads. Lock-free atomics only.
struct HoldWatchdog::Shared {
    std::atomic<std::int64_t> deadline{0};   // CLOCK_MONOTONIC ns; 0 = not holding
    std::atomic<int> quit{0};
    pid_t tracer = 0;
    std::int64_t graceNs = 0;
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

namespace {

constexpr std::size_t kGuardStack = 64 * 1024;

// The hold armed now (a stopper holds one process at a time), for disarmCurrent().
std::atomic<std::atomic<std::int64_t>*> g_armedDeadline{nullptr};

std::int64_t monotonicNs()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace

int HoldWatchdog::runGuard(void* argument)
{
    auto* shared = static_cast<Shared*>(argument);
    // Its own copy of our descriptors: keep no pipe of pyautopsy's open, so
    // whoever reads pyautopsy's output sees EOF when pyautopsy ends.
    ::syscall(SYS_close_range, 0U, ~0U, 0U);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);   // out of the terminal's job control: Ctrl-Z stops pyautopsy, not the guard
    const timespec tick{0, 5 * 1000 * 1000};
    while (shared->quit.load() == 0 && ::getppid() == shared->tracer) {
        const std::int64_t deadline = shared->deadline.load();
        if (deadline != 0 && monotonicNs() > deadline + shared->graceNs) {
            ::kill(shared->tracer, SIGKILL);
            break;
        }
        ::nanosleep(&tick, nullptr);
    }
    ::syscall(SYS_exit, 0);   // this task only: never run atexit handlers of a shared address space
    return 0;
}

HoldWatchdog::HoldWatchdog(std::chrono::milliseconds limit) : m_limit(limit)
{
    m_shared = new Shared();
    m_shared->tracer = ::getpid();
    m_shared->graceNs = std::chrono::duration_cast<std::chrono::nanoseconds>(kKillGrace).count();
    void* stack = ::mmap(nullptr, kGuardStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                         -1, 0);
    if (stack == MAP_FAILED) return;
    m_stack = stack;
    // CLONE_VM without CLONE_THREAD: a process of its own (SIGKILL of pyautopsy
    // does not take it along with it), in our memory.
    const int child = ::clone(runGuard, static_cast<char*>(stack) + kGuardStack, CLONE_VM | SIGCHLD, m_shared);
    if (child > 0) m_guard = child;
}

HoldWatchdog::~HoldWatchdog()
{
    disarm();
    m_shared->quit.store(1);
    if (m_guard > 0) {
        ::kill(m_guard, SIGKILL);   // no need to wait for its next tick
        // Reaped before its stack and our memory go away. Another part of
        // pyautopsy (run's subreaper loop) may have reaped it: ECHILD.
        while (::waitpid(m_guard, nullptr, __WALL) < 0 && errno == EINTR) {
        }
    }
    if (m_stack != nullptr) {
#ifdef PYAUTOPSY_ASAN
        // The guard ran our instrumented code on this stack, in our memory, and
        // was killed inside a function: AddressSanitizer's shadow (shared with
        // it) still marks its frames' redzones, which would be blamed on the
        // next mapping placed here (a file libelf maps, say).
        ASAN_UNPOISON_MEMORY_REGION(m_stack, kGuardStack);
#endif
        ::munmap(m_stack, kGuardStack);
    }
    delete m_shared;
}

void HoldWatchdog::arm()
{
    m_shared->deadline.store(monotonicNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(m_limit).count());
    g_armedDeadline.store(&m_shared->deadline);
}

void HoldWatchdog::disarm()
{
    m_shared->deadline.store(0);
    auto* mine = &m_shared->deadline;
    g_armedDeadline.compare_exchange_strong(mine, nullptr);
}

void HoldWatchdog::disarmCurrent()
{
    if (auto* deadline = g_armedDeadline.load()) deadline->store(0);
}

bool HoldWatchdog::overdue() const
{
    const std::int64_t deadline = m_shared->deadline.load();
    return deadline != 0 && monotonicNs() > deadline;
}

}  // namespace pyautopsy::target
