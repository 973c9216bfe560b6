// CallsInProgress: which callable a Python frame is calling, when that
// callable is not Python code: `<built-in function sleep>`, `<built-in method
// sort of list object at 0x...>`, `<method-wrapper '__init__' of MyList
// object at 0x...>`, as libpython shows them at the top of py-bt.
//
// Read only where it is recorded: from 3.14 a frame saves its stack pointer
// before every call that can escape, so during that call its value stack
// ends exactly at the call's inputs, and its current instruction (a CALL,
// CALL_KW or CALL_FUNCTION_EX, specialized or not) says where the callable
// lies below that top. Release builds do not clear the pointer after the
// call, so it is trusted only for a frame surely inside its call: one whose
// newer frame was started from C (a key function called by list.sort, a
// generator consumed by list.__init__), or the innermost frame of a thread
// that released the GIL (debug builds clear it: there, any innermost frame).
// Before 3.14 a frame calling into C records no stack depth: nothing is said.
#pragma once

#include "runtime/code/ValueStack.h"
#include "runtime/repr/ObjectRepr.h"
#include "snapshot/Snapshot.h"

namespace pyautopsy::runtime {

// Sets Frame::calling on the thread's Python frames. Call before native frames
// are added. Never throws: an unreadable frame is left without it.
void addCallsInProgress(const ObjectReader& reader, ValueStackReader& stacks, ObjectRepr& repr,
                        snapshot::Thread& thread);

}  // namespace pyautopsy::runtime
