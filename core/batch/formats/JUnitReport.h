// JUnitReport: a batch run as JUnit XML, the format CI systems (Jenkins,
// GitLab, GitHub test reporters, Azure) show as test results.
//
// One <testsuite name="pyautopsy">: after a hang (`run --hang-timeout`), one
// failing <testcase classname="pyautopsy.hang"> per hang group (its evidence
// and its processes' reports in the body); one failing <testcase> per crash group
// (message = the group's title, body = its evidence), one <testcase> with an
// <error> per unreadable core, and a single passing testcase when no core was
// found so the suite is never empty. tests/failures/errors/skipped/time on
// <testsuite> count exactly those. All text is escaped for XML 1.0;
// characters XML 1.0 cannot carry at all (most C0 controls) become "\xNN".
#pragma once

#include "batch/BatchResult.h"

#include <string>

namespace pyautopsy::batch {

std::string formatBatchJUnit(const BatchResult& result);
// Escapes &, <, >, " and ' and replaces characters XML 1.0 forbids.
std::string xmlEscape(const std::string& text);

}  // namespace pyautopsy::batch
