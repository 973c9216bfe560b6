// TreeResult: a live process tree, each CPython process snapshotted on its
// own, as plain data that the formats (formats/Tree*.h, and the batch
// formats for `run --hang-timeout`) only read.
//
// Each analysed process keeps its report as the exact JSON document of
// `pyautopsy pid PID --json` (docs/json-schema.md) and as the text `pyautopsy
// pid PID` prints, both made while the engine's snapshot was at hand. The
// /proc facts about blocking (system calls, pipe ends) are read without
// stopping anyone and feed the findings that need several processes.
#pragma once

#include "batch/Group.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

enum class LiveStatus {
    Analysed,     // report and text are filled in
    NotPython,    // no (supported) CPython in it: listed, not analysed
    Exited,       // gone before or while it was read: a note, not an error
    Failed,       // could not be read (ptrace refused, ...): reason says why
};

struct BlockedCall {
    int tid = 0;
    bool running = false;
    std::optional<long> number;               // x86-64 system call number
    std::array<std::uint64_t, 6> args{};
};

struct PipeHold {
    int fd = 0;
    std::uint64_t inode = 0;
    bool readable = false, writable = false;
};

struct LiveProcess {
    int pid = 0;
    int ppid = 0;
    int pgrp = 0;
    std::optional<std::size_t> parent;        // index into TreeResult::processes
    std::vector<std::size_t> children;
    std::size_t depth = 0;
    std::string state;                        // kernel state letter when listed
    std::string command;
    std::optional<std::string> multiprocessingName;   // from the parent's snapshot
    LiveStatus status = LiveStatus::Failed;
    std::string reason;                       // NotPython / Exited / Failed: why
    nlohmann::json report;                    // `pyautopsy pid PID --json`; null unless analysed
    std::string text;                         // `pyautopsy pid PID`; empty unless analysed
    std::optional<double> stoppedMs;          // how long it was held stopped
    std::optional<double> stoppedCpuMs;       // pyautopsy's CPU time in that window (the rest: waiting for a CPU)
    double seconds = 0;                       // wall time of its analysis
    std::string signature;                    // Signature.h key; empty unless analysed
    std::vector<BlockedCall> calls;
    std::vector<PipeHold> pipes;
};

// A finding that needs several processes' facts.
struct TreeFinding {
    std::string id;                           // "waits-on-hung-child", "pipe-wait-cycle"
    std::string severity;                     // "error" | "warning"
    std::string summary;
    std::vector<int> pids;                    // the processes it names, waiter first
    std::vector<std::string> evidence;
    std::string advice;
};

struct TreeResult {
    int root = 0;
    bool rootListed = true;                   // false: only the root's descendants (run: the root is pyautopsy)
    std::vector<LiveProcess> processes;       // parents before children; processes[0] is the root when listed
    std::vector<TreeFinding> findings;
    std::vector<Group> groups;                // analysed processes with equal signatures; members index processes
    std::vector<std::string> notes;           // exits during the walk, bounds reached
    double seconds = 0;                       // from the start of the listing to the last snapshot

    std::size_t count(LiveStatus status) const
    {
        std::size_t n = 0;
        for (const auto& p : processes) n += p.status == status ? 1 : 0;
        return n;
    }
};

inline const char* liveStatusName(LiveStatus status)
{
    switch (status) {
    case LiveStatus::Analysed: return "analysed";
    case LiveStatus::NotPython: return "not-python";
    case LiveStatus::Exited: return "exited";
    case LiveStatus::Failed: return "failed";
    }
    return "failed";
}

// `run --hang-timeout`: what set the snapshot off, and the tree it took.
struct HangResult {
    std::string trigger;                      // "timeout", "SIGTERM", "SIGINT"
    double afterSeconds = 0;                  // from the command's start to the trigger
    double timeoutSeconds = 0;
    TreeResult tree;
    std::vector<std::string> leftovers;       // processes still there after SIGKILL (should be none)
};

}  // namespace pyautopsy::batch
