// ProcessList: live processes as /proc lists them, without attaching to any.
//
// Children come from /proc/PID/task/*/children (a child belongs to the thread
// that forked it, so every thread is read), which needs no ptrace and is
// exact, unlike scanning every /proc/N/stat for a ppid. Everything here is a
// moment's view: a process may exit or fork while we read, so a vanished one
// is left out, and a pid whose stat names another parent (reused) too.
// Every walk is bounded by Limits (maxChildProcesses, maxTreeProcesses,
// maxTreeDepth); a walk cut short says so.
#pragma once

#include "support/Limits.h"
#include "target/ProcessFacts.h"

#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target {

struct ProcessEntry {
    int pid = 0;
    int ppid = 0;
    int pgrp = 0;
    std::string state;             // /proc/PID/stat state letter
    std::uint64_t flags = 0;       // /proc/PID/stat flags: the task's PF_* flags
    std::string command;           // /proc/PID/cmdline, NULs as spaces; empty for a zombie or kernel thread
    std::size_t depth = 0;         // generations below the walk's root
};

// nullopt when the process does not exist (any more).
std::optional<ProcessEntry> readProcessEntry(int pid);

// The children of every thread of `pid`, in pid order.
std::vector<ChildProcessInfo> listChildren(int pid, const Limits& limits = kDefaultLimits);

struct ProcessTreeListing {
    std::vector<ProcessEntry> processes;   // parents before their children (breadth first)
    bool truncated = false;                // a bound was reached: some descendants are not listed
    std::vector<std::string> notes;
};

// `root` (unless !includeRoot) and every descendant, except the calling
// process and its descendants when they are below the root. An empty
// listing when `root` does not exist.
ProcessTreeListing listProcessTree(int root, bool includeRoot, const Limits& limits = kDefaultLimits);

}  // namespace pyautopsy::target
