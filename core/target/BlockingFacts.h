// BlockingFacts: what a live process's threads are blocked in, and which pipe
// ends it holds, read from /proc without stopping it.
//
// /proc/PID/task/TID/syscall names the system call a sleeping thread is in
// and its arguments (wait4's first is the pid waited for, read's the fd), and
// /proc/PID/fd + fdinfo say which fds are pipes (pipe:[INODE]) open for
// reading or writing. Together they tell, across processes, who waits for
// whom: a thread reading a pipe whose write ends only a waiting parent holds.
// Both need the same permission as ptrace. A thread that runs shows no call;
// one that vanished is left out. Bounded by Limits (maxFileDescriptors,
// maxThreadsPerInterpreter).
#pragma once

#include "support/Limits.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace pyautopsy::target {

struct ThreadSyscall {
    int tid = 0;
    bool running = false;                   // on a CPU, or runnable: in no blocking call
    std::optional<long> number;             // x86-64 system call number while blocked in one
    std::array<std::uint64_t, 6> args{};    // its arguments, as the kernel shows them
};

struct PipeEnd {
    int fd = 0;
    std::uint64_t inode = 0;                // pipe:[INODE]: the same pipe in every process that holds it
    bool readable = false;
    bool writable = false;
};

struct BlockingFacts {
    std::vector<ThreadSyscall> threads;     // in tid order
    std::vector<PipeEnd> pipes;             // in fd order
};

BlockingFacts readBlockingFacts(int pid, const Limits& limits = kDefaultLimits);

// The pipe an fd of `facts` refers to, if it is one.
const PipeEnd* pipeOfFd(const BlockingFacts& facts, int fd);

// x86-64 numbers of the calls the tree findings reason about.
inline constexpr long kSysRead = 0;
inline constexpr long kSysPoll = 7;
inline constexpr long kSysSelect = 23;
inline constexpr long kSysWait4 = 61;
inline constexpr long kSysPselect6 = 270;
inline constexpr long kSysPpoll = 271;
inline constexpr long kSysWaitid = 247;

}  // namespace pyautopsy::target
