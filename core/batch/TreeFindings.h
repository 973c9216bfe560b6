// TreeFindings: what only several processes' facts together show.
//
//   waits-on-hung-child  a process blocked waiting for a child to exit
//                        (wait4/waitid on it, or multiprocessing's
//                        Popen.wait/poll in its Python frames) whose child is
//                        deadlocked (its own `deadlock` finding: error) or
//                        blocked with no thread running (warning). Both named.
//   pipe-wait-cycle      a process's thread blocked reading a pipe (a
//                        multiprocessing Queue or Pipe is one) whose write
//                        ends, outside the reader itself, are held only by
//                        processes blocked on the reader: waiting for it to
//                        exit, or reading a pipe only it can write.
// "Blocked" comes from /proc's system calls of each thread (TreeResult's
// calls and pipes), read at the listing: a guess about the future is never
// made, a process with a running thread is never called hung.
#pragma once

#include "batch/TreeResult.h"

#include <vector>

namespace pyautopsy::batch {

std::vector<TreeFinding> findTreeFindings(const TreeResult& tree);

}  // namespace pyautopsy::batch
