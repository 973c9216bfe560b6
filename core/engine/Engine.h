// Engine: the one call every front end makes.
//
// Given a Target (core file, live process, or a debugger's process), produce
// the Snapshot: index the modules, find and identify CPython, walk it. Front
// ends never reach below this header to interpret CPython themselves.
#pragma once

#include "diagnosis/Finding.h"
#include "runtime/SnapshotBuilder.h"
#include "snapshot/Snapshot.h"
#include "target/Target.h"

#include <string_view>

namespace pyautopsy::engine {

struct AnalysisOptions {
    runtime::SnapshotOptions snapshot;
    // A live process that pyautopsy itself holds stopped: collect only what is
    // shown, so that it runs again sooner (analyzeAndDiagnose).
    bool keepStopShort = false;
};

// Throws pyautopsy::Error when the target holds no readable CPython.
snapshot::Snapshot analyze(target::Target& target, const AnalysisOptions& options = {});

// What a front end prints: the snapshot with the details that were asked
// for, and the diagnosis made from all the evidence the rules use.
struct Report {
    snapshot::Snapshot snapshot;
    diagnosis::Diagnosis diagnosis;
};

// Collects the native frames and locals the rules need whatever `options`
// asks to show (a lock wait is in C, a freed object is held by a local):
// the crashing thread's for a crash, every thread's native frames for a
// process killed or dumped from outside; then diagnoses, and drops from the
// snapshot what was not asked for. Throws as analyze() does.
Report analyzeAndDiagnose(target::Target& target, const AnalysisOptions& options = {});

// `full` without native frames and C-only threads unless `native`, and
// without frame locals unless `locals`.
snapshot::Snapshot withDetails(snapshot::Snapshot full, bool native, bool locals);

// The role of a native symbol, for a debugger's own frames (the snapshot's
// native frames carry theirs already).
snapshot::NativeRole nativeRole(std::string_view symbol);

}  // namespace pyautopsy::engine
