// BatchJsonReport: the machine-readable form of a `pyautopsy batch` run.
//
// {"schema", "kind": "batch", "summary", "groups", "cores", "process_tree",
//  "skipped", "unmatched_logs", "hang"}. "hang" is null unless `run
// --hang-timeout` snapshotted a hung tree: then {"trigger", "after_seconds",
// "timeout_seconds", "leftovers", "tree"}, "tree" as `pid --tree --json`. Each core carries its full `pyautopsy core
// --json` document under "report" (null when unreadable, with "reason"), so
// nothing the single-core report says is lost. Cores are referred to by
// their index in "cores" (groups' "members", the tree's "parent"/"children").
// Keys are only ever added within one schema number, as in JsonReport.h.
#pragma once

#include "batch/BatchResult.h"

#include <nlohmann/json.hpp>

namespace pyautopsy::batch {

inline constexpr int kBatchJsonSchema = 1;

nlohmann::json batchToJson(const BatchResult& result);
nlohmann::json logDumpJson(const LogDump& dump);

}  // namespace pyautopsy::batch
