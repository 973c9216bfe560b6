// MarkdownReport: a batch run as a CI job summary (GitHub's
// $GITHUB_STEP_SUMMARY, GitLab and others render CommonMark + tables).
//
// After a hang (`run --hang-timeout`) first the hang: its groups, the
// findings across processes, the tree, each process's report folded. Then a
// headline, a table of crash groups, per group its evidence and top frames
// in code blocks, the process tree, and the unreadable and skipped files.
// Text from cores (paths, function names) is escaped for table cells, and
// code blocks use a fence longer than any backtick run inside them.
#pragma once

#include "batch/BatchResult.h"

#include <string>

namespace pyautopsy::batch {

std::string formatBatchMarkdown(const BatchResult& result);
// "a|b" -> "a\|b", newlines -> spaces: one table cell.
std::string markdownCell(const std::string& text);
// The text in a fenced code block whose fence it cannot close.
std::string markdownCodeBlock(const std::string& text, const std::string& info = "text");

}  // namespace pyautopsy::batch
