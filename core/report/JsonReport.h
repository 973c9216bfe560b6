// JsonReport: the machine-readable form of a Snapshot.
//
// This is a contract other tools read (docs/json-schema.md): keys are only
// ever added, never renamed or removed, within one "schema" number. Unknown
// values are null, never invented.
#pragma once

#include "snapshot/Snapshot.h"

#include <nlohmann/json.hpp>

namespace pyautopsy::report {

inline constexpr int kJsonSchema = 1;

nlohmann::json toJson(const snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::report
