// TextReport: the human-readable form of a Snapshot, shared by every front end.
//
// The CLI, the LLDB plugin and the GDB commands print through these functions
// so that the same process reads the same everywhere. Python frames are
// written as traceback lines (`File "PATH", line N, in FUNCTION`); the order
// (most recent call last, as in a traceback, or first, as in a debugger's bt)
// is the caller's choice.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <string>

namespace pyautopsy::report {

struct TextOptions {
    bool color = false;             // ANSI colours; the caller decides (tty, NO_COLOR)
    bool mostRecentLast = true;     // traceback order; false = debugger order
};

std::string formatProcessHeader(const snapshot::Snapshot& snapshot, const TextOptions& options);
std::string formatThreadHeader(const snapshot::Thread& thread, const TextOptions& options);
std::string formatFrame(const snapshot::Frame& frame, const TextOptions& options);
std::string formatThread(const snapshot::Thread& thread, const TextOptions& options);
// The whole report: a diagnosis made earlier by the engine (from a snapshot
// holding more evidence than this one shows), then the snapshot.
std::string formatSnapshot(const snapshot::Snapshot& snapshot, const diagnosis::Diagnosis& diagnosis,
                           const TextOptions& options);

}  // namespace pyautopsy::report
