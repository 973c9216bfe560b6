// GreenletText: a thread's greenlets as text, under the thread's own stack --
// one line per greenlet (state, type, name, what it runs or waits on), then
// the stack a suspended one stopped in, indented under it.
#pragma once

#include "report/TextReport.h"
#include "snapshot/Snapshot.h"

#include <string>
#include <vector>

namespace pyautopsy::report {

// Empty when there are none.
std::string formatGreenlets(const std::vector<snapshot::Greenlet>& greenlets, const TextOptions& options);

// Greenlets whose thread is gone or was not found, with greenlet's notes.
std::string formatGreenletsWithoutThread(const snapshot::Snapshot& snapshot, const TextOptions& options);

// Every thread's greenlets under its thread header: `pyautopsy greenlets` in
// the debuggers. Empty when the target has no greenlets.
std::string formatGreenletReport(const snapshot::Snapshot& snapshot, const TextOptions& options);

}  // namespace pyautopsy::report
