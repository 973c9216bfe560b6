// AsyncioText: the event loops and tasks of a Snapshot as text -- each loop
// with the thread running it, then its tasks as trees: a task over the tasks
// it awaits, each with the coroutine chain it is suspended in.
#pragma once

#include "report/TextReport.h"
#include "snapshot/Snapshot.h"

#include <string>

namespace pyautopsy::report {

// Empty when the target has no event loop with tasks.
std::string formatAsyncio(const snapshot::Snapshot& snapshot, const TextOptions& options);

}  // namespace pyautopsy::report
