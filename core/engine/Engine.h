// Engine: the one call every front end makes.
//
// Given a Target (core file, live process, or a debugger's process), produce
// the Snapshot: index the modules, find and identify CPython, walk it. Front
// ends never reach below this header to interpret CPython themselves.
#pragma once

#include "runtime/SnapshotBuilder.h"
#include "snapshot/Snapshot.h"
#include "target/Target.h"

namespace pyautopsy::engine {

struct AnalysisOptions {
    runtime::SnapshotOptions snapshot;
};

// Throws pyautopsy::Error when the target holds no readable CPython.
snapshot::Snapshot analyze(target::Target& target, const AnalysisOptions& options = {});

}  // namespace pyautopsy::engine
