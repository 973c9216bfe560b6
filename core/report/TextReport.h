// TextReport: the human-readable form of a Snapshot, shared by every front end.
//
// The CLI, the LLDB plugin and the GDB commands print through these functions
// so that the same process reads the same everywhere. Python frames are
// written as traceback lines (`File "PATH", line N, in FUNCTION`); the order
// (most recent call last, as in a traceback, or first, as in a debugger's bt)
// is the caller's choice. As in a traceback, each Python frame line is
// followed by its source line when the file is readable here (SourceLines.h),
// and a run of more than three identical frame lines (recursion) is shown as
// its first three and "[Previous line repeated N more times]".
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::report {

struct TextOptions {
    bool color = false;             // ANSI colours; the caller decides (tty, NO_COLOR)
    bool mostRecentLast = true;     // traceback order; false = debugger order
    bool source = true;             // the source line under each Python frame (--no-source: false)
    std::optional<std::int64_t> sourceNotAfter;   // sourceReferenceTime(): newer files are flagged
    std::size_t firstFrame = 0;     // formatThread starts at this frame (a debugger's selected
                                    // frame) and counts the newer Python frames it leaves out
};

// `options` with sourceNotAfter filled in for `snapshot`'s target, when unset.
TextOptions withSourceReference(TextOptions options, const snapshot::Snapshot& snapshot);

std::string formatProcessHeader(const snapshot::Snapshot& snapshot, const TextOptions& options);
std::string formatThreadHeader(const snapshot::Thread& thread, const TextOptions& options);
std::string formatFrame(const snapshot::Frame& frame, const TextOptions& options);
// Frames in the given order, recursion collapsed as formatThread does.
std::string formatFrames(const std::vector<const snapshot::Frame*>& frames, const TextOptions& options);
std::string formatThread(const snapshot::Thread& thread, const TextOptions& options);
// The whole report: a diagnosis made earlier by the engine (from a snapshot
// holding more evidence than this one shows), then the snapshot.
std::string formatSnapshot(const snapshot::Snapshot& snapshot, const diagnosis::Diagnosis& diagnosis,
                           const TextOptions& options);
// formatSnapshot()'s text handed to `sink` in pieces of about 64 KiB, in
// order, as it is made: a --native stack before 3.11 is ~1,800 lines, and the
// whole report in one string (grown by doubling, then copied) cost more fresh
// memory than the walk that found them.
using TextSink = std::function<void(std::string_view)>;
void writeSnapshot(const snapshot::Snapshot& snapshot, const diagnosis::Diagnosis& diagnosis,
                   const TextOptions& options, const TextSink& sink);

}  // namespace pyautopsy::report
