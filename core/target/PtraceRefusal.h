// PtraceRefusal: why the kernel refused to let pyautopsy read or trace a live
// process, and what to change, as the one line of an Error.
//
// The kernel says only EPERM or EACCES; the cause is one of: another tracer
// holds the process, it belongs to another user, Yama's ptrace_scope forbids
// it, or CAP_SYS_PTRACE is missing (a container that was not granted it, or
// capabilities dropped). gatherPtraceFacts() reads what tells them apart from
// /proc; explainRefusal() is pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace pyautopsy::target {

struct PtraceFacts {
    std::optional<int> yamaScope;                        // kernel.yama.ptrace_scope; nullopt without Yama
    unsigned ourUid = 0;                                 // pyautopsy's effective uid
    std::optional<unsigned> targetUid;                   // the process's real uid
    std::string targetUser;                              // its name, when known
    bool hasCapSysPtrace = false;                        // in pyautopsy's effective capabilities
    bool isAncestor = false;                             // pyautopsy is an ancestor of the process
    std::optional<std::pair<int, std::string>> tracer;   // (pid, name) of a tracer already attached
};

// Facts about process `pid` (thread `tid`) and about pyautopsy itself.
PtraceFacts gatherPtraceFacts(int pid, int tid);

// "cannot attach to PID 42: <cause>; <fix>". `which` is "" or " (thread N)";
// `error` the errno of the refused call.
std::string explainRefusal(int pid, const std::string& which, int error, const PtraceFacts& facts);

}  // namespace pyautopsy::target
