// SharedThreadStates: which OS thread runs a subinterpreter's thread state
// when the thread state itself names another.
//
// Before 3.13, run_string() runs a subinterpreter on the thread state that
// Py_NewInterpreter made for its *creator*, which keeps the creator's ident
// and native id while another thread runs it: two interpreters then claim
// the same thread, and the creator may even be the one that crashed. The
// thread really running it is the one whose live stack holds the thread
// state's address (the eval loop and run_string keep it). Where exactly one
// thread's stack does, the thread takes that thread's identity; otherwise
// it keeps what it recorded, is not called crashed, and says why. Bounded
// (1 MiB of stack per thread); never throws.
#pragma once

#include "snapshot/Snapshot.h"
#include "target/Memory.h"

#include <cstdint>

namespace pyautopsy::runtime {

void attributeSharedThreadStates(const target::Memory& memory, snapshot::Snapshot& snapshot, std::int32_t crashedTid);

}  // namespace pyautopsy::runtime
