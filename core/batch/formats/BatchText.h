// BatchText: the plain-text pieces of a batch report, shared by the stdout
// summary and the Markdown summary (which wraps them in code blocks), so a
// group's evidence reads the same in a terminal and in a CI job summary.
#pragma once

#include "batch/BatchResult.h"

#include <string>

namespace pyautopsy::batch {

// "SIGABRT in f (app.py:12)" or "SIGSEGV, no Python frames".
std::string groupTitle(const Group& group);
// The group's evidence, one fact per line: diagnosis, signal, top frames, members.
std::string groupEvidence(const BatchResult& result, const Group& group);
// The process tree, indented, one line per core with a pid; "" when no core has a parent or child.
std::string formatProcessTree(const BatchResult& result);
// "the command was still running after 30 s (--hang-timeout 30)" or "pyautopsy received SIGTERM after 12.3 s".
std::string hangHeadline(const HangResult& hang);
// The stdout summary of `pyautopsy batch` (and `run`, with its hang first).
std::string formatBatchText(const BatchResult& result);

}  // namespace pyautopsy::batch
