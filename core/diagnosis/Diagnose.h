// Diagnose: runs every rule over a Snapshot and orders the findings.
//
// Findings are ordered by severity (error, warning, info) and then by rule
// priority (the order of Rule.h), so the first finding is the best answer to
// "why did it die?" -- except that what followed from the way the process
// ended (Rule::consequence(): killed with atexit callbacks pending) comes
// after every error and warning that explains the failure. A rule that made
// a finding reports no "not analysed" line. Never throws.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

namespace pyautopsy::diagnosis {

Diagnosis diagnose(const snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::diagnosis
