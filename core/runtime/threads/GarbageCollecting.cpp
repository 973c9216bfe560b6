#include "runtime/threads/GarbageCollecting.h"

#include <algorithm>

namespace pyautopsy::runtime {

namespace {

bool hasState(const snapshot::Thread& t) { return t.threadStateAddress != 0; }

// The frame that started the collection (3.15+): its thread is the collector.
void markByFrame(std::int64_t interp, std::uint64_t collectingFrame, std::vector<snapshot::Thread>& threads)
{
    for (auto& thread : threads) {
        if (!hasState(thread) || thread.interpreterId != interp) continue;
        for (auto& frame : thread.frames) {
            if (frame.kind == snapshot::FrameKind::Python && frame.address == collectingFrame) {
                frame.startedGc = true;
                thread.garbageCollecting = true;
            }
        }
    }
}

// Before 3.15: the one thread state of the interpreter, else the one thread
// known to hold its GIL.
void markByThread(std::int64_t interp, std::vector<snapshot::Thread>& threads)
{
    const auto mine = [interp](const snapshot::Thread& t) { return hasState(t) && t.interpreterId == interp; };
    const auto holds = [&](const snapshot::Thread& t) { return mine(t) && t.holdsGil.value_or(false); };
    snapshot::Thread* collector = nullptr;
    if (std::count_if(threads.begin(), threads.end(), mine) == 1) {
        collector = &*std::find_if(threads.begin(), threads.end(), mine);
    } else if (std::count_if(threads.begin(), threads.end(), holds) == 1) {
        collector = &*std::find_if(threads.begin(), threads.end(), holds);
    }
    if (collector) collector->garbageCollecting = true;
}

}  // namespace

void markGarbageCollection(snapshot::Snapshot& snap)
{
    for (const auto& interp : snap.interpreters) {
        const auto& gc = interp.state.gc;
        if (!gc || !gc->collecting.value_or(false)) continue;
        if (gc->collectingFrame)
            markByFrame(interp.id, *gc->collectingFrame, snap.threads);
        else
            markByThread(interp.id, snap.threads);
    }
}

}  // namespace pyautopsy::runtime
