// SourceLines: the source a traceback prints under each Python frame, read
// from this machine's copy of the file.
//
// Files are decoded as Python decodes source: UTF-8, unless a PEP 263
// declaration (`# -*- coding: NAME -*-` on line 1, or line 2 below a comment
// line) names another encoding; a UTF-8 BOM is dropped. Only regular files
// are read, whole and at most kMaxSourceBytes, and kept (by path, size and
// mtime) so that a backtrace reads each file once. A file modified after the
// reference time (the process's start, or the writing of its core) may no
// longer hold the code that ran: lines from it say so.
#pragma once

#include "snapshot/Snapshot.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::report {

inline constexpr std::size_t kMaxSourceBytes = 16u << 20;

struct SourceText {
    std::vector<std::string> lines;     // UTF-8, without their line ends; lines[0] is line 1
    bool mayHaveChanged = false;        // the file is newer than the reference time
};

// Seconds since the epoch that a source file must predate: the core file's
// mtime for a core, the process's start time for a live process; nullopt when
// neither can be told (then no line is flagged).
std::optional<std::int64_t> sourceReferenceTime(const snapshot::TargetFacts& target);

// While one exists on a thread, each file that thread looks up is stat()ed
// once and that look is reused: a
// report prints its lines from one look at each file (a 300-frame recursion
// is 300 lines of one file). Without one, as for a debugger command showing
// one frame, every lookup checks the file again.
class SourceCheckScope {
public:
    SourceCheckScope();
    ~SourceCheckScope();
    SourceCheckScope(const SourceCheckScope&) = delete;
    SourceCheckScope& operator=(const SourceCheckScope&) = delete;
};

// The whole decoded file, or nullopt when it is not a readable regular file.
std::optional<SourceText> readSource(const std::string& path, std::optional<std::int64_t> notAfter);

// Line `number` (1-based) of `path`, stripped of surrounding whitespace as
// traceback prints it; nullopt when the file or the line is not there.
struct SourceLine {
    std::string text;
    bool mayHaveChanged = false;
};
std::optional<SourceLine> sourceLine(const std::string& path, int number, std::optional<std::int64_t> notAfter);

// The encoding a PEP 263 declaration in `head` (the file's first bytes) names,
// normalised ("utf-8", "iso-8859-1", or as written, lowercased); "utf-8" when none.
std::string declaredEncoding(std::string_view head);

}  // namespace pyautopsy::report
