// JsonReport: the machine-readable form of a Snapshot.
//
// This is a contract other tools read (docs/json-schema.md): keys are only
// ever added, never renamed or removed, within one "schema" number. Unknown
// values are null, never invented.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <nlohmann/json.hpp>

#include <string_view>

namespace pyautopsy::report {

inline constexpr int kJsonSchema = 1;

// A native frame's role as JSON names it ("eval_loop"); "" for none.
std::string_view nativeRoleName(snapshot::NativeRole role);

// The report of a snapshot and its diagnosis, made earlier by the engine (the
// rules may have seen more evidence than the snapshot keeps for display).
nlohmann::json toJson(const snapshot::Snapshot& snapshot, const diagnosis::Diagnosis& diagnosis);

}  // namespace pyautopsy::report
