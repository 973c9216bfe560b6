// BatchResult: what `pyautopsy batch` learned about a set of core files, as
// plain data that the report formats (core/report/Batch*.h, JUnitReport,
// MarkdownReport) only read.
//
// Every file the discovery looked at ends in exactly one of three lists:
// analysed cores (a report, maybe partial), unreadable cores (an ELF core, or
// a compressed file named like one, whose analysis failed, crashed or timed
// out: the reason says which), and skipped files (named like a core but not
// one). Reports are kept as the JSON contract of `pyautopsy core --json`
// (docs/json-schema.md): the analysis runs in a child process and hands back
// exactly that document.
#pragma once

#include "batch/Group.h"
#include "batch/TreeResult.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

// One dump found in a CI log: a `Fatal Python error:` block and/or the
// faulthandler thread dump that follows it.
struct LogDump {
    std::string logPath;
    std::size_t line = 0;                      // 1-based line of the block's first line
    std::optional<std::string> error;          // "Fatal Python error: ..." line, when present
    std::optional<std::uint64_t> currentThread;  // ident of "Current thread 0x..."
    std::vector<std::uint64_t> threads;        // every ident the dump names, current first
    std::string text;                          // the block as it appeared (bounded)
};

struct CoreResult {
    std::string path;                  // as discovered
    std::string compression;           // "", "zstd", "lz4", "xz", "gzip"
    std::optional<int> namePid;        // pid encoded in the file name
    std::optional<int> pid, ppid;      // from NT_PRPSINFO
    std::optional<int> pgrp;           // process group id, from NT_PRPSINFO
    std::string command;               // NT_PRPSINFO pr_fname
    std::optional<std::string> signal; // "SIGABRT", from the report
    bool partial = false;              // truncated core: the report is incomplete
    double seconds = 0;                // wall time of the analysis
    nlohmann::json report;             // `pyautopsy core --json` document; null when unreadable
    std::string reason;                // unreadable: why
    std::vector<std::string> warnings; // pid mismatch, truncation, ...
    std::string signature;             // grouping key (Signature.h); empty when unreadable
    std::vector<LogDump> logs;         // --log dumps whose thread ident is one of this core's threads
};

struct SkippedFile {
    std::string path;
    std::string reason;
};

// Parent/child relations between the analysed cores, from NT_PRPSINFO.
struct TreeNode {
    std::size_t core = 0;                // index into BatchResult::cores
    std::optional<std::size_t> parent;   // index of the parent's core, when it is in the batch
    // The parent died first and the child was adopted (ppid 1 or a subreaper):
    // the parent is the core that leads the child's process group.
    bool parentFromProcessGroup = false;
    std::vector<std::size_t> children;
};

struct BatchResult {
    std::vector<CoreResult> cores;       // analysed and unreadable, in discovery order
    std::vector<SkippedFile> skipped;
    std::vector<Group> groups;           // largest first, then by first member
    std::vector<TreeNode> tree;          // one node per core with a pid, same order as cores
    std::vector<LogDump> unmatchedLogs;  // log dumps no core claimed
    std::optional<HangResult> hang;      // run --hang-timeout: the tree snapshotted when it hung
    double seconds = 0;
    int jobs = 1;

    bool analysed(std::size_t i) const { return !cores[i].report.is_null(); }
    std::size_t analysedCount() const
    {
        std::size_t n = 0;
        for (std::size_t i = 0; i < cores.size(); ++i) n += analysed(i) ? 1 : 0;
        return n;
    }
    std::size_t unreadableCount() const { return cores.size() - analysedCount(); }
    // A core file is a crash by definition (the process died dumping it, or was
    // dumped because it hung); unreadable ones count too: something crashed.
    bool crashesFound() const { return !cores.empty(); }
    bool hung() const { return hang.has_value(); }
};

}  // namespace pyautopsy::batch
