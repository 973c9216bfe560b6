// JsonReport: the machine-readable form of a Snapshot.
//
// This is a contract other tools read (docs/json-schema.md): keys are only
// ever added, never renamed or removed, within one "schema" number. Unknown
// values are null, never invented.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <nlohmann/json.hpp>

namespace pyautopsy::report {

inline constexpr int kJsonSchema = 1;

nlohmann::json toJson(const snapshot::Snapshot& snapshot);
// The same, with a diagnosis made earlier (from a snapshot holding more evidence than this one shows).
nlohmann::json toJson(const snapshot::Snapshot& snapshot, const diagnosis::Diagnosis& diagnosis);

}  // namespace pyautopsy::report
