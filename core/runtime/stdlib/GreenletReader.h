// GreenletReader: every greenlet of a process -- the one each thread runs and
// every suspended one with its own Python stack -- read from greenlet's own
// C++ objects, so that a hung gevent or eventlet server shows the code that
// waits in suspended greenlets and not only the hub's event loop.
//
// greenlet keeps no registry, so greenlets are found among the objects the
// garbage collector tracks (they all are). A greenlet is given to the thread
// whose stack it runs on: its saved stack addresses lie in that thread's
// stack. The layout comes from greenlet's version (GreenletLayouts) and is
// checked on the target before it is used. Every walk is bounded; nothing
// here throws.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "runtime/threads/FrameWalker.h"
#include "runtime/threads/LocalsReader.h"
#include "snapshot/Snapshot.h"

#include <cstdint>

namespace pyautopsy::runtime {

// Reads the greenlets of the interpreter `interp` (whose GC state is `gc`,
// 0 when unknown) into `snap`: each thread's `greenlets`, and the others into
// `snap.greenlet`. `withLocals` fills the suspended frames' locals (gevent's
// innermost frame is always read: it holds what the greenlet waits on).
void readGreenlets(const ObjectReader& reader, FrameWalker& frames, LocalsReader& locals, bool withLocals,
                   std::uint64_t interp, std::uint64_t gc, snapshot::Snapshot& snap);

}  // namespace pyautopsy::runtime
