// NativeFunctions: the C functions of CPython (and the libc waits under them)
// that pyautopsy recognises on a native stack, by what they do.
//
// The one list of their names. Native frames get their role when they enter
// the snapshot (MixedStack), so rules and front ends reason about roles and
// never name a CPython function. Names differ between versions and builds
// (static helpers keep a name only where .symtab survives), which is why a
// role lists every name that plays it; docs/cpython-internals.md §13 tells
// which functions run each finalization step.
#pragma once

#include "snapshot/Frame.h"

#include <string_view>

namespace pyautopsy::runtime {

// The role of a native symbol (compiler suffixes such as .cold ignored).
snapshot::NativeRole nativeRoleOf(std::string_view symbol);

// The name to give an eval-loop frame whose code has no symbol left (a
// stripped, LTO-split build), once the runtime has proven what it is.
inline constexpr std::string_view kEvalLoopFunction = "_PyEval_EvalFrameDefault";

}  // namespace pyautopsy::runtime
