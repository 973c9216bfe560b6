// Diagnose: runs every rule over a Snapshot and orders the findings.
//
// Findings are ordered by severity (error, warning, info) and then by rule
// priority (the order of Rule.h), so the first finding is the best answer to
// "why did it die?". Never throws.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

namespace pyautopsy::diagnosis {

Diagnosis diagnose(const snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::diagnosis
