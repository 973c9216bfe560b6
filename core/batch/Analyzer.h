// Analyzer: every candidate core analysed in its own child process, N at a time.
//
// Isolation is the point: a core can be corrupt in ways that make the engine
// crash, hang or exhaust memory, and one bad core must not end the batch. Each
// child decompresses its core if needed (into `tempDir`), probes the notes,
// runs engine::analyze and writes the `pyautopsy core --json` document to a
// pipe. The parent is single-threaded (fork from a threaded process is unsafe):
// it polls the pipes, kills a child that exceeds the time limit, and turns a
// crash, a kill or garbage output into an unreadable core with the reason.
// Children dump no core of their own (RLIMIT_CORE 0: a crash of pyautopsy must
// not add a core to the directory being analysed) and die with the parent.
#pragma once

#include "batch/BatchResult.h"
#include "batch/Discovery.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

struct AnalyzerOptions {
    int jobs = 1;
    std::chrono::milliseconds timeout{60000};        // per core, decompression included
    std::string tempDir;                             // where decompressed cores live while analysed
    std::uint64_t maxCoreBytes = std::uint64_t{64} << 30;  // decompressed size cap
    std::function<void(std::size_t done, std::size_t total)> progress;  // called in the parent
};

// One CoreResult per candidate, in candidate order. Fills path, compression,
// namePid, pid/ppid/command, signal, partial, seconds, report or reason, and
// warnings (including a name/notes pid mismatch); not signature or logs.
std::vector<CoreResult> analyseCores(const std::vector<Candidate>& candidates, const AnalyzerOptions& options);

}  // namespace pyautopsy::batch
