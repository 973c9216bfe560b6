// CommandRunner: run a command with core dumps enabled and collect its cores.
//
// The command (and every process it starts, which inherit the limit) runs with
// RLIMIT_CORE raised to the hard limit (unlimited for root). The system's
// /proc/sys/kernel/core_pattern is never changed, so where cores land is the
// system's choice; we collect from the command's working directory:
//   - with core_pattern "core" and core_uses_pid 0 every crash writes ./core,
//     and a second crash overwrites the first. We watch the directory
//     (inotify IN_CLOSE_WRITE) and move each `core` away as soon as the kernel
//     closes it, named core.PID from the pid in its own notes, so crashes in
//     sequence are all kept (two processes dumping at the very same moment
//     can still clobber each other: a kernel limit we cannot fix from here);
//   - any other core name (core.PID, NAME.PID.core, ...) appearing there while
//     the command runs is moved the same way.
// A final scan after the command ends catches files the watch missed. Cores
// written by children that changed directory, or sent to a pipe handler
// (core_pattern "|..."; see coredumpctl), are not found; `notes` says so for
// a pipe handler.
//
// With a hang timeout the command runs in its own process group (as under
// timeout(1)), pyautopsy becomes a child subreaper (PR_SET_CHILD_SUBREAPER:
// orphans of the tree stay below it), and the run lasts while any process
// of the tree does, not only the command. When the tree is still running
// after the timeout, or pyautopsy receives SIGTERM or SIGINT first, every
// CPython process of the tree is snapshotted live (TreeCapture.h) and then
// the whole tree is ended (TreeTerminator.h); `hang` says what happened.
#pragma once

#include "batch/TreeCapture.h"
#include "batch/TreeResult.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

struct RunOptions {
    std::vector<std::string> command;  // argv; command[0] is looked up in PATH
    std::string coresDir = "cores";
    std::optional<std::chrono::milliseconds> hangTimeout;  // none: wait for the command however long
    std::chrono::milliseconds killGrace{2000};              // after SIGTERM, before SIGKILL
    TreeCaptureOptions capture;                             // includeRoot is set by the runner
};

struct RunOutcome {
    int waitStatus = 0;                    // as from waitpid
    std::vector<std::string> collected;    // paths under coresDir
    std::vector<std::string> notes;
    std::optional<HangResult> hang;        // the tree hung (or pyautopsy was told to stop) and was ended
};

// Throws pyautopsy::Error(System) when the command cannot be started at all.
RunOutcome runCollectingCores(const RunOptions& options);

// The exit status a shell would report for `waitStatus` (128 + signal when killed).
int shellExitStatus(int waitStatus);

}  // namespace pyautopsy::batch
