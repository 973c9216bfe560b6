// AsyncioReader: an interpreter's event loops and their tasks, read from the
// target's own asyncio state, so that a core shows what every task was
// suspended in and waiting for (what `python -m asyncio pstree` shows of a
// live process, with no help from the process).
//
// Tasks come from asyncio.tasks' registry -- the WeakSet _all_tasks (<= 3.11)
// or _scheduled_tasks plus the _eager_tasks set (3.12+) -- and on 3.14+ also
// from the linked lists C tasks live in (per thread, and per interpreter for
// threads that have exited). A task's coroutine chain is followed through the
// object each suspended frame awaits: its value-stack top, when the frame's
// next instruction resumes an await. fut_waiter names the tasks it waits for,
// directly or as the children of a gather(); a task in a TaskGroup's exit
// waits for the group's tasks. Tasks written in Python (_PyTask) are read
// from their attributes. Every walk is bounded; nothing here throws.
#pragma once

#include "runtime/threads/FrameWalker.h"
#include "runtime/objects/ObjectReader.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <vector>

namespace pyautopsy::runtime {

// The loops of interpreter `interp` (id `interpreterId`), whose thread states
// are `threadStates`; `threads` are the snapshot's threads, used to name the
// thread that runs each loop. Appends to `out`.
void readAsyncio(const ObjectReader& reader, FrameWalker& frames, std::uint64_t interp,
                 std::int64_t interpreterId, const std::vector<std::uint64_t>& threadStates,
                 snapshot::AsyncioState& out);

}  // namespace pyautopsy::runtime
