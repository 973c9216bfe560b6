// RuntimeStateReader: finalization flags of the runtime and of each
// interpreter, and the recursion limit.
//
// Reads _PyRuntime's initialized / _finalizing (and, 3.12+, _finalizing_id)
// and each interpreter's finalizing flag, finalizing thread (3.12+), the
// size of sys.modules and sys.getrecursionlimit() (3.8: one process-wide
// _PyRuntime.ceval.recursion_limit; 3.9+: interp->ceval.recursion_limit,
// which is what sys.getrecursionlimit() returns). Where the version keeps only the finalizing thread
// state (<= 3.11), its thread ident is read from that thread state. A fault
// ends the read with a note; nothing is guessed.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"

namespace pyautopsy::runtime {

// Fills the finalization fields of `out` (not its singletons).
void readRuntimeFinalization(const ObjectReader& reader, snapshot::RuntimeState& out);

// Fills finalizing, finalizingThreadState/Id and modulesCount of `out`.
void readInterpreterFinalization(const ObjectReader& reader, std::uint64_t interp,
                                 snapshot::InterpreterRuntimeState& out);

// Fills recursionLimit/recursionLimitFrom of `out` (left empty when unreadable
// or not positive, as CPython never stores a limit below 1).
void readInterpreterRecursionLimit(const ObjectReader& reader, std::uint64_t interp,
                                   snapshot::InterpreterRuntimeState& out);

}  // namespace pyautopsy::runtime
