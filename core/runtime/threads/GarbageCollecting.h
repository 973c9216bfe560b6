// GarbageCollecting: which thread is inside a garbage collection, as
// libpython marks it ("Garbage-collecting") -- from the GC state, not from
// the collector's native frames.
//
// An interpreter's GC says that it is collecting, not who: from 3.15 it keeps
// the frame that started the collection, which names the thread and the place
// in its stack; before, the collector is known only when one thread state
// exists at all (a collection runs in a thread with a thread state). Otherwise
// nothing is said: the collector may have released the GIL (in a finalizer or
// a gc.callbacks function) and another thread be running.
#pragma once

#include "snapshot/Snapshot.h"

namespace pyautopsy::runtime {

// Sets Thread::garbageCollecting and Frame::startedGc from the interpreters'
// GC states. Call after the Python frames are walked.
void markGarbageCollection(snapshot::Snapshot& snap);

}  // namespace pyautopsy::runtime
