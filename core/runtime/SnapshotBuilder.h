// SnapshotBuilder: walks a located runtime into a Snapshot.
//
// Interpreters -> thread states -> frames, each list bounded and cycle-checked.
// Facts that belong to the process rather than to CPython (signal, crashed
// thread, native thread ids) come from the Target and are joined here, once.
#pragma once

#include "runtime/discovery/Runtime.h"
#include "snapshot/Snapshot.h"
#include "support/Limits.h"

namespace pyautopsy::runtime {

struct SnapshotOptions {
    Limits limits = kDefaultLimits;
    bool locals = false;    // each Python frame's locals and arguments, as reprs
    bool native = false;    // native frames, unwound from the registers, interleaved
    // Each Python frame's globals and builtins by name, for a debugger's
    // py-print and py-locals (with `locals`: the names are looked up after them).
    bool namespaces = false;
    // Evidence a diagnosis of a crash needs from the crashing thread alone:
    // its native frames and its locals (every thread's when native/locals).
    bool crashedThreadNative = false;
    bool crashedThreadLocals = false;
};

// The process-level facts of `target` (signal, pid, command), as the snapshot records them.
snapshot::TargetFacts targetFacts(const target::Target& target);

snapshot::Snapshot buildSnapshot(const target::Memory& memory, const target::ModuleIndex& modules,
                                 const Runtime& runtime, const SnapshotOptions& options = {});

}  // namespace pyautopsy::runtime
