// ChildProcesses: the processes the target started and has not reaped, and
// what in the target owns each one.
//
// Two sources, joined by pid: the kernel's list of a live process's children
// (state and command line; cores do not record it), and the target's own
// multiprocessing bookkeeping (multiprocessing.process._children: the Process
// objects started and not yet seen to finish), which cores have too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::snapshot {

// The multiprocessing.Process object that started a child.
struct MultiprocessingProcess {
    std::uint64_t address = 0;              // the Process object
    std::optional<std::string> name;        // Process.name (_name)
    std::optional<bool> daemon;             // Process.daemon (_config["daemon"], False when unset)
    std::optional<int> exitcode;            // _popen.returncode: set once the parent reaped the child
    std::optional<std::string> popenType;   // the type of _popen ("Popen"; its module says the start method)
};

struct ChildProcess {
    int pid = 0;
    bool listedByKernel = false;            // in /proc/PID/task/*/children (live processes only)
    std::optional<std::string> state;       // kernel state letter: R, S, D, Z (zombie: exited, not reaped), T, ...
    std::optional<std::string> command;     // its command line (live processes only)
    std::optional<MultiprocessingProcess> multiprocessing;   // who started it, where the target knows
};

struct ChildProcesses {
    bool kernelListed = false;              // the target could list its children (a live process)
    std::vector<ChildProcess> processes;    // in pid order
    std::vector<std::string> notes;         // what could not be read, and why
};

// The kernel's word for a state letter of /proc/PID/stat (proc(5)).
inline std::string_view kernelStateName(std::string_view state)
{
    if (state == "R") return "running";
    if (state == "S") return "sleeping";
    if (state == "D") return "in uninterruptible wait";
    if (state == "Z") return "zombie: exited, not reaped";
    if (state == "T") return "stopped";
    if (state == "t") return "stopped by a tracer";
    if (state == "I") return "idle";
    if (state == "X" || state == "x") return "dead";
    return "unknown state";
}

}  // namespace pyautopsy::snapshot
