// MixedStack: a thread's native and Python frames as one stack.
//
// Python frames are run by native eval-loop frames (_PyEval_EvalFrameDefault).
// Up to 3.10 each eval-loop call runs exactly one Python frame; from 3.11 one
// call runs a run of frames that ends (outermost side) at an entry frame
// (Frame::entry, set by FrameWalker). Each such group goes right above
// (innermost side of) the eval-loop frame that runs it. When the numbers of
// groups and eval-loop frames disagree (an unnamed eval loop in a stripped
// build, a native unwind cut short), groups are placed in order, the rest
// appended outermost, and a note says so: never a silent guess.
#pragma once

#include "runtime/discovery/Capabilities.h"
#include "snapshot/Snapshot.h"
#include "support/Limits.h"
#include "target/ModuleIndex.h"
#include "target/Target.h"
#include "unwind/NativeUnwinder.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

struct Interleaving {
    std::vector<snapshot::Frame> frames;    // innermost first
    std::vector<std::string> notes;
};

// `python` and `native` innermost first. `groupsEndAtEntry`: 3.11+ (one eval
// call runs several frames); otherwise one Python frame per eval call. Both
// move into the result.
Interleaving interleave(std::vector<snapshot::Frame> python, std::vector<unwind::NativeFrame> native,
                        bool groupsEndAtEntry);

snapshot::Frame toSnapshotFrame(unwind::NativeFrame native);

// Adds native frames and status to the threads of one snapshot.
class MixedStackBuilder {
public:
    MixedStackBuilder(target::Target& target, const target::ModuleIndex& modules, const Capabilities& caps,
                      const Limits& limits);

    // Replaces thread.frames by the mixed stack of the target thread whose TID
    // is thread.nativeId and sets thread.status from it; without that thread
    // or its registers, keeps the Python frames and adds a note.
    void addNativeFrames(snapshot::Thread& thread);

    // Appends the process's threads that no Python thread state describes
    // (C threads), with only native frames and no thread_id. `crashedTid`: the
    // thread that received a fatal signal, if any.
    void addThreadsWithoutPython(snapshot::Snapshot& snapshot, std::optional<std::int32_t> crashedTid);

private:
    target::Target& m_target;
    unwind::NativeUnwinder m_unwinder;
    bool m_groupsEndAtEntry;
    std::set<std::int64_t> m_described;     // TIDs already shown as Python threads
};

}  // namespace pyautopsy::runtime
