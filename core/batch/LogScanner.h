// LogScanner: the Python crash dumps in a CI log, and which core each belongs to.
//
// A dump is a `Fatal Python error: ...` block and/or faulthandler's thread
// dump (`Current thread 0x... (most recent call first):`, `Thread 0x...`,
// indented frame lines). The idents are threading.get_ident() values, which
// the core's report has as threads[].thread_id; that is the only link between
// a log and a core (logs rarely print pids). Markers are found anywhere in a
// line, so CI timestamp prefixes (`2024-05-01T10:00:00Z `) do not hide them.
// Bounded: at most kMaxDumpLines lines of text per dump.
#pragma once

#include "batch/BatchResult.h"

#include <istream>
#include <string>
#include <vector>

namespace pyautopsy::batch {

inline constexpr std::size_t kMaxDumpLines = 400;

std::vector<LogDump> scanLog(std::istream& log, const std::string& logPath);

// Appends each dump to CoreResult::logs of the analysed cores that have a
// thread with the dump's current-thread ident (or, without one, any of its
// idents); returns the dumps no core claimed.
std::vector<LogDump> attachLogDumps(std::vector<CoreResult>& cores, const std::vector<LogDump>& dumps);

}  // namespace pyautopsy::batch
