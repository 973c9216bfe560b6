// Batch: `pyautopsy batch` as a library call.
//
// discover -> analyse (child processes, Analyzer.h) -> group (Signature.h)
// -> process tree -> attach CI log dumps. Unreadable cores are results, not
// errors: runBatch throws only when it cannot work at all (no temporary
// directory). Decompressed copies live in a private temporary directory that
// is removed before runBatch returns.
#pragma once

#include "batch/Analyzer.h"
#include "batch/BatchResult.h"
#include "batch/Discovery.h"

#include <string>
#include <vector>

namespace pyautopsy::batch {

struct BatchOptions {
    std::vector<std::string> paths;
    std::vector<std::string> logs;     // --log files
    AnalyzerOptions analyzer;          // tempDir is filled in by runBatch
    DiscoveryLimits discovery;
};

BatchResult runBatch(const BatchOptions& options);

// How many jobs `-j` means by default: the CPUs this process may run on.
int defaultJobs();

}  // namespace pyautopsy::batch
