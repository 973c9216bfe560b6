// RuntimeStateReader: finalization flags of the runtime and of each interpreter.
//
// Reads _PyRuntime's initialized / _finalizing (and, 3.12+, _finalizing_id)
// and each interpreter's finalizing flag, finalizing thread (3.12+) and the
// size of sys.modules. Where the version keeps only the finalizing thread
// state (<= 3.11), its thread ident is read from that thread state. A fault
// ends the read with a note; nothing is guessed.
#pragma once

#include "runtime/ObjectReader.h"
#include "snapshot/ProcessState.h"

namespace pyautopsy::runtime {

// Fills the finalization fields of `out` (not its singletons).
void readRuntimeFinalization(const ObjectReader& reader, snapshot::RuntimeState& out);

// Fills finalizing, finalizingThreadState/Id and modulesCount of `out`.
void readInterpreterFinalization(const ObjectReader& reader, std::uint64_t interp,
                                 snapshot::InterpreterRuntimeState& out);

}  // namespace pyautopsy::runtime
