// ThreadStatus: what a thread is doing, in one word a user can act on.
//
// From native frames when they were unwound (the surest evidence: a thread
// blocked inside take_gil is waiting for the GIL whatever the runtime's flags
// say), else from what the runtime records (GIL holder, tstate->state on
// 3.13+, whether the thread runs any Python frame). Unknown when neither tells.
#pragma once

#include "snapshot/Snapshot.h"

#include <string_view>
#include <vector>

namespace pyautopsy::runtime {

// `frames`: a mixed stack (MixedStack), innermost first, with native frames
// and their roles.
snapshot::ThreadStatus statusFromNativeFrames(const std::vector<snapshot::Frame>& frames);

// Without native frames: holding the GIL, or being attached (3.13+), means
// running (Python or C code that keeps the GIL); no Python frame at all means
// idle; detached (3.13+) with Python frames means a blocking C call or a wait
// for the GIL; else unknown.
snapshot::ThreadStatus statusFromRuntime(const snapshot::Thread& thread);

}  // namespace pyautopsy::runtime
