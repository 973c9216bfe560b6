// Ending: how the target's process ended, from the signal a core records --
// the one classification the diagnosis rules and the engine's choice of
// evidence share.
#pragma once

#include "snapshot/Snapshot.h"

namespace pyautopsy::snapshot {

enum class Ending {
    Running,        // a live process, or a core without a signal
    Stopped,        // a debugger's core (gcore): SIGSTOP/SIGTSTP/SIGTRAP
    Crashed,        // a fatal signal raised by the process itself (fault, abort())
    Killed,         // a signal sent by another process (kill -TERM/-KILL/-ABRT)
};

inline Ending endingOf(const TargetFacts& target)
{
    if (!target.signal) return Ending::Running;
    const auto& sig = *target.signal;
    if (sig.name == "SIGSTOP" || sig.name == "SIGTSTP" || sig.name == "SIGTRAP") return Ending::Stopped;
    // abort() and raise() send the signal to the process itself (si_pid is its own pid).
    if (sig.senderPid && *sig.senderPid > 0 && target.pid && *sig.senderPid != *target.pid) return Ending::Killed;
    return Ending::Crashed;
}

}  // namespace pyautopsy::snapshot
