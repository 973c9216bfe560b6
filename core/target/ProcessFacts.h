// Plain facts a Target reports about its process: mappings, threads and their
// registers, and how the process ended (for cores). Data only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target {

// x86_64 general-purpose registers, in the order of the kernel's user_regs_struct
// (which is also the order inside NT_PRSTATUS and PTRACE_GETREGS).
struct Registers {
    std::uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi,
        orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};
static_assert(sizeof(Registers) == 27 * 8, "Registers must match user_regs_struct");

struct ThreadInfo {
    std::int32_t tid = 0;                    // kernel thread id (LWP)
    std::optional<Registers> registers;      // absent when the target cannot tell
    // Without registers (a live process read --nonblocking): the user stack
    // pointer /proc/PID/task/TID/syscall shows while the thread is blocked in
    // the kernel; absent while it runs.
    std::optional<std::uint64_t> blockedStackPointer;
    std::string name;                        // /proc comm or debugger's name; may be empty
    std::optional<int> pendingSignal;        // from NT_PRSTATUS pr_cursig, when non-zero
};

struct SignalInfo {
    int number = 0;                          // e.g. 6 for SIGABRT
    int code = 0;                            // si_code
    int errnoValue = 0;                      // si_errno
    std::optional<std::uint64_t> faultAddress;  // si_addr, for SIGSEGV/SIGBUS/SIGILL/SIGFPE
    std::optional<int> senderPid;            // si_pid, for signals sent by kill()/tgkill()
    std::optional<int> senderUid;
};

// The kernel's task flag for a process made by fork() that has not called
// execve() since (include/linux/sched.h); /proc/PID/stat and NT_PRPSINFO's
// pr_flag carry it.
inline constexpr std::uint64_t kPfForkNoExec = 0x40;

// A child process of a live target, as the kernel lists it.
struct ChildProcessInfo {
    int pid = 0;
    std::string state;                       // /proc/CHILD/stat state letter: "R", "S", "D", "Z", "T", ...
    std::string command;                     // /proc/CHILD/cmdline, NULs as spaces; empty for a zombie
};

struct ProcessInfo {
    std::optional<int> pid;
    std::optional<int> ppid;
    std::string executable;                  // path of the main executable, when known
    std::string command;                     // command line (psinfo pr_psargs or /proc cmdline)
    std::optional<SignalInfo> signal;        // the signal that killed a core's process
    std::optional<std::int32_t> crashedTid;  // the thread that received it
    // Made by fork() and never exec'd since (the kernel's PF_FORKNOEXEC): the
    // process runs a copy of its parent's program. nullopt where not recorded.
    std::optional<bool> forkedWithoutExec;
    std::optional<std::uint64_t> auxvEntry;  // AT_ENTRY: main executable's entry point
    std::optional<std::uint64_t> auxvPhdr;   // AT_PHDR
    // Live processes: the children of every thread (/proc/PID/task/*/children).
    // nullopt where the target cannot list them (cores, debugger adapters).
    std::optional<std::vector<ChildProcessInfo>> children;
};

struct Mapping {
    std::uint64_t start = 0;
    std::uint64_t end = 0;                   // exclusive
    std::uint64_t fileOffset = 0;            // offset into `path` of `start`
    std::string path;                        // empty for anonymous memory
    bool readable = true;
    bool writable = false;
    bool executable = false;
};

}  // namespace pyautopsy::target
