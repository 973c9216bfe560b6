#include "runtime/threads/GarbageCollecting.h"

#include <algorithm>

namespace pyautopsy::runtime {

void markGarbageCollection(snapshot::Snapshot& snap)
{
    const auto withState = std::count_if(snap.threads.begin(), snap.threads.end(),
                                         [](const snapshot::Thread& t) { return t.threadStateAddress != 0; });
    for (const auto& interp : snap.interpreters) {
        const auto& gc = interp.state.gc;
        if (!gc || !gc->collecting.value_or(false)) continue;
        for (auto& thread : snap.threads) {
            if (thread.threadStateAddress == 0 || thread.interpreterId != interp.id) continue;
            if (gc->collectingFrame) {
                for (auto& frame : thread.frames) {
                    if (frame.kind == snapshot::FrameKind::Python && frame.address == gc->collectingFrame) {
                        frame.startedGc = true;
                        thread.garbageCollecting = true;
                    }
                }
            } else if (withState == 1) {
                thread.garbageCollecting = true;
            }
        }
    }
}

}  // namespace pyautopsy::runtime
