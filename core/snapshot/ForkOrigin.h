// ForkOrigin: the process was made by fork() from a Python parent, and its
// one thread carries on the parent's thread that called fork(). The other
// threads of the parent do not exist here, but everything they held in
// memory at that moment -- locks included -- was copied.
//
// Filled by core/runtime/stdlib/ForkOriginReader from what the target's own
// modules recorded in the parent and kept in the copy. Empty when nothing
// says so: a process started by exec (spawn, subprocess) is not a fork child.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pyautopsy::snapshot {

struct ForkOrigin {
    std::optional<int> parentPid;                   // the process that called fork()
    std::optional<std::int64_t> forkingThreadNativeId;  // its TID, in the parent, of the thread that called fork()
    std::optional<std::string> processName;         // multiprocessing.Process name, when multiprocessing forked it
    std::optional<std::string> forkCall;            // "Popen._launch (.../popen_fork.py:71)": the frame that called fork()
    std::string how;                                // the facts it is known from, for evidence
};

}  // namespace pyautopsy::snapshot
