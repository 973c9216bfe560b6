// ProcessStateText: the compact text section on runtime state that follows
// the process header: finalization, per interpreter GC / atexit / sys.modules
// / sys.monitoring, the singletons' refcounts, the threads' trace and
// profile hooks, and the locks each thread holds and waits for. A handful of
// lines; nothing is printed for unknown facts.
#pragma once

#include "snapshot/Snapshot.h"

#include <string>

namespace pyautopsy::report {

std::string formatProcessState(const snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::report
