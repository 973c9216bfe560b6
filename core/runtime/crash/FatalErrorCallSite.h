// FatalErrorCallSite: the message a Py_FatalError was called with, read from
// the code that called it.
//
// The crashing thread's native stack holds the fatal-error function
// (Py_FatalError, _Py_FatalErrorFunc, _Py_FatalRefcountErrorFunc, ...) and,
// one frame out, its caller (none_dealloc). The caller's return address
// follows a `call rel32`; the instructions just before it load the string
// literal arguments: `lea rel32(%rip),%rdi|%rsi` (PIC) or `mov $imm32,%edi|%esi`
// (non-PIE executables). Both are decoded and the strings read from the
// module's read-only data. A message built at run time (a format, a pointer
// kept in a register) is not recovered: the result then says so instead of
// guessing. When the __func__ argument (3.9+) equals the caller's symbol, the
// decoding is confirmed by the target's own data.
#pragma once

#include "snapshot/Snapshot.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

#include <optional>
#include <string_view>

namespace pyautopsy::runtime {

// True for a native frame of CPython's fatal-error path (by its role).
bool isFatalErrorFrame(const snapshot::Frame& frame);

// The call on `crashed`'s native frames (innermost first); nullopt when the
// thread has no native frames in the fatal-error path.
std::optional<snapshot::FatalErrorCall> readFatalErrorCall(const target::Memory& memory,
                                                           const target::ModuleIndex& modules,
                                                           const snapshot::Thread& crashed);

}  // namespace pyautopsy::runtime
