// selectLayoutTable: choose the generated table for one interpreter build.
//
// Layouts change inside a minor series (3.13.0 -> 3.13.x moved the GC
// generations), so the nearest patch release at or below the target is the
// best guess: structs only ever change at a release, and the target has seen
// every change up to its own patch. If the target is older than every table we
// have, the closest newer table is the only candidate left; `exact` lets the
// caller say how much it trusts the result (and on 3.13+ _Py_DebugOffsets
// overrides the table anyway).
#include "runtime/layouts/LayoutTables.h"

namespace pyautopsy::runtime {

const LayoutTableEntry* selectLayoutTable(int major, int minor, int micro, bool debug, bool* exact) {
    const LayoutTableEntry* below = nullptr;   // highest micro <= the target's
    const LayoutTableEntry* above = nullptr;   // lowest micro > the target's
    for (const LayoutTableEntry& entry : generatedLayoutTables()) {
        if (entry.major != major || entry.minor != minor || entry.debug != debug) {
            continue;
        }
        if (entry.micro <= micro) {
            if (below == nullptr || entry.micro > below->micro) {
                below = &entry;
            }
        } else if (above == nullptr || entry.micro < above->micro) {
            above = &entry;
        }
    }
    const LayoutTableEntry* chosen = below != nullptr ? below : above;
    if (exact != nullptr) {
        *exact = chosen != nullptr && chosen->micro == micro;
    }
    return chosen;
}

}  // namespace pyautopsy::runtime
