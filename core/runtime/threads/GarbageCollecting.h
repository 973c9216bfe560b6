// GarbageCollecting: which thread is inside a garbage collection, as
// libpython marks it ("Garbage-collecting") -- from the GC state, not from
// the collector's native frames.
//
// An interpreter's GC says that it is collecting, not who. From 3.15 it keeps
// the frame that started the collection, which names the thread and the place
// in its stack. Before, the collector is the one thread state when there is
// only one; with several, it is the thread holding the GIL, since a
// collection runs holding it -- the same inference faulthandler makes when it
// marks its current thread. The collector may release the GIL inside a
// finalizer or a gc.callbacks function and another thread take it; that case
// cannot be told apart from memory and would be misattributed, as by
// faulthandler. With the GIL free or its holder unknown nothing is said, and
// no frame is marked before 3.15: the innermost Python frame may be a
// finalizer's or a callback's rather than the one that triggered the GC.
#pragma once

#include "snapshot/Snapshot.h"

namespace pyautopsy::runtime {

// Sets Thread::garbageCollecting and Frame::startedGc from the interpreters'
// GC states and the threads' holdsGil. Call after the Python frames are walked.
void markGarbageCollection(snapshot::Snapshot& snap);

}  // namespace pyautopsy::runtime
