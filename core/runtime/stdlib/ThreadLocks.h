// ThreadLocks: which threading locks each thread holds and which one it waits
// for, read from the threads' Python frames, and what the program calls them.
//
// Holds: a with-block keeps the lock's bound __exit__ (3.14+: __exit__ and the
// lock as two slots) on its frame's value stack while it is open; only the
// slots surely live under the frame's open blocks are searched (ValueStack.h),
// so a popped, stale __exit__ never counts. An RLock also records its owner.
// Waits: the innermost Python frame's stack above its open blocks holds the
// call in progress -- acquire (or the lock's __enter__/__exit__ while a `with`
// is entered) and the lock. Before 3.14 the running frame's depth is not
// recorded, so the lowest such call is taken, and a lock that records being
// unlocked, or that this thread owns, is skipped as stale.
// Locks are _thread.lock and _thread.RLock objects, and threading.Condition
// objects stand for their _lock. Names come from the frames' globals and
// locals and the attributes of their `self`.
#pragma once

#include "runtime/threads/LocalsReader.h"
#include "runtime/repr/ObjectRepr.h"
#include "snapshot/Snapshot.h"

namespace pyautopsy::runtime {

// Fills Snapshot::locks and each thread's locksHeld and waitsFor. Call after
// the Python frames are walked and before native frames are added (the
// innermost frame must be the innermost Python frame). Never throws: a frame
// that cannot be read is skipped with a note on its thread.
void addThreadLocks(const ObjectReader& reader, LocalsReader& locals, ObjectRepr& repr, snapshot::Snapshot& snap);

}  // namespace pyautopsy::runtime
