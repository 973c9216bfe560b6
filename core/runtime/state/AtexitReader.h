// AtexitReader: one interpreter's Python-level atexit callbacks, and whether
// they have run.
//
// Where the callbacks live depends on the version, told apart by layout
// presence: <= 3.9 the atexit module's state (interp->pyexitmodule), 3.10-3.13
// an array of {func, args, kwargs} structs (interp->atexit), 3.14+ a Python
// list of (func, args, kwargs) tuples. CPython empties the list right after
// calling the callbacks (_PyAtExit_Call / atexit_callfuncs), before it sets
// _PyRuntime._finalizing, so the status is derived from the list and the
// finalization flags; statusReason states the facts used.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"

namespace pyautopsy::runtime {

snapshot::AtexitState readAtexit(const ObjectReader& reader, std::uint64_t interp,
                                 const snapshot::RuntimeState& runtime,
                                 const snapshot::InterpreterRuntimeState& interpreter);

}  // namespace pyautopsy::runtime
