// DiagnosisReport: the diagnosis of a Snapshot (core/diagnosis), as text and
// JSON, shown first by every front end (CLI, LLDB, GDB).
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Snapshot.h"

#include <nlohmann/json.hpp>

#include <string>

namespace pyautopsy::report {

// The findings as the report's "Diagnosis" section; no findings give one
// line saying nothing was found.
std::string formatDiagnosis(const diagnosis::Diagnosis& diagnosis, bool color = false);

// The "diagnoses" array (docs/json-schema.md) and "diagnoses_not_analysed".
nlohmann::json diagnosesJson(const diagnosis::Diagnosis& diagnosis);
nlohmann::json notAnalysedJson(const diagnosis::Diagnosis& diagnosis);

}  // namespace pyautopsy::report
