// ProcessTree: parent/child relations between the cores of one batch.
//
// A core's parent is the core whose NT_PRPSINFO pid equals its ppid. When a
// parent dies before its child is dumped (a CI job killed from the top, a
// hung parent SIGABRTed first), the kernel has already reparented the child
// to init or a subreaper, so its ppid names no core; its process group still
// does (fork keeps it), so the core leading the child's process group becomes
// the parent, marked parentFromProcessGroup. Cores from different runs may
// reuse pids: when several cores claim a pid, the one in the same directory
// wins, and with no such one the relation is left out (a wrong tree is worse
// than a flat one).
#pragma once

#include "batch/BatchResult.h"

#include <vector>

namespace pyautopsy::batch {

// One node per core that has a pid from its notes, in core order.
std::vector<TreeNode> buildProcessTree(const std::vector<CoreResult>& cores);

}  // namespace pyautopsy::batch
