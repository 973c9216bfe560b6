// SnapshotBuilder: walks a located runtime into a Snapshot.
//
// Interpreters -> thread states -> frames, each list bounded and cycle-checked.
// Facts that belong to the process rather than to CPython (signal, crashed
// thread, native thread ids) come from the Target and are joined here, once.
#pragma once

#include "runtime/Runtime.h"
#include "snapshot/Snapshot.h"
#include "support/Limits.h"

namespace pyautopsy::runtime {

struct SnapshotOptions {
    Limits limits = kDefaultLimits;
};

snapshot::Snapshot buildSnapshot(const target::Memory& memory, const target::ModuleIndex& modules,
                                 const Runtime& runtime, const SnapshotOptions& options = {});

}  // namespace pyautopsy::runtime
