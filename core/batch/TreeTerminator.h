// TreeTerminator: ends every process below pyautopsy, so that a hung run
// leaves nothing behind: SIGTERM (and SIGCONT, so a stopped process can act
// on it), a grace period for handlers (atexit, coverage saves), then SIGKILL
// until none is left, reaping each as it ends.
//
// "Below pyautopsy" is what /proc lists under pyautopsy's own pid; with
// PR_SET_CHILD_SUBREAPER (set by the runner before it starts the command)
// that includes orphans whose parent died and processes that left the
// command's process group or session, which a kill(-pgrp) would miss. The
// command's own wait status is kept when it is reaped here. Every loop is
// bounded (rounds and time); what is still there at the end is reported.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

struct Termination {
    std::optional<int> commandStatus;     // as from waitpid, if the command was reaped here
    std::vector<std::string> leftovers;   // "PID STATE COMMAND" of processes SIGKILL did not end
};

// `command`: the pid whose wait status the caller wants; `grace`: how long
// processes may take to end after SIGTERM before SIGKILL.
Termination terminateDescendants(int command, std::chrono::milliseconds grace);

// Reaps every child that has ended, without blocking; returns the command's
// status when it was among them.
std::optional<int> reapChildren(int command);

// True while a process other than a zombie is below pyautopsy.
bool anyDescendantRunning();

}  // namespace pyautopsy::batch
