// ForkOriginReader: whether the process is a fork() child of a Python
// parent (snapshot/ForkOrigin.h), from what the parent's modules recorded
// before the fork and the copy kept:
// - multiprocessing (fork start method): multiprocessing.process.
//   _current_process is the child's Process object, whose _parent_pid names
//   the parent, and the main thread's stack still holds the parent's call of
//   os.fork() in Popen._launch (popen_fork.py) -- a spawned child has neither
//   that frame nor a copy of the parent's memory;
// - threading, 3.8 to 3.13.0 at least: the main Thread object keeps the
//   native id it was given in the parent (3.13.18 and 3.14+ of the test bed
//   update it after fork()), so a main thread whose
//   recorded native id is not this process's pid -- the TID of any process's
//   first thread -- was recorded in another process;
// - the kernel, on every version: a process made by fork() carries the task
//   flag PF_FORKNOEXEC until it calls execve() (target::kPfForkNoExec, from
//   /proc/PID/stat or a core's NT_PRPSINFO). A Python process with it runs a
//   copy of its parent's interpreter: a plain os.fork() child, which leaves
//   no other trace on 3.13.18 and 3.14+.
// Nothing here guesses: without such a record, no origin is claimed.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "runtime/stdlib/ThreadingState.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <optional>

namespace pyautopsy::runtime {

// `threading`: the main interpreter's threading state; `snapshot`: its
// threads (with Python frames) and target facts. Never throws.
std::optional<snapshot::ForkOrigin> readForkOrigin(const ObjectReader& reader, std::uint64_t mainInterpreter,
                                                   const ThreadingState& threading, const snapshot::Snapshot& snapshot,
                                                   std::vector<std::string>& notes);

}  // namespace pyautopsy::runtime
