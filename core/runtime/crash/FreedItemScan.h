// FreedItemScan: live containers that the crashing thread was using and that
// still hold freed objects -- the object being repr'd, traversed or cleared
// when a use-after-free killed the process.
//
// Registers alone often miss the freed object itself (the debug build's
// assertion dumps the *parent* container, and the freed item is a value
// long gone from the registers), but the parent is still referenced from a
// register or a stack slot near the top of the crashing thread's stack.
// Candidates are those words; a candidate counts when it is a list, tuple or
// dict that is itself intact and holds an item whose memory reads as freed
// (0xdd..., the debug allocator). Bounded; never throws.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/CrashFacts.h"
#include "target/Target.h"

namespace pyautopsy::runtime {

void scanForFreedItems(const ObjectReader& reader, const target::ThreadInfo& thread, snapshot::CrashFacts& out);

}  // namespace pyautopsy::runtime
