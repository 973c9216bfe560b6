// GcStateReader: one interpreter's garbage collector state.
//
// Per generation count and threshold, enabled, whether a collection is
// running, and the collector's kind, chosen by which layout fields the build
// has (generations[] -> generational; young/old -> 3.14.0's incremental GC),
// never by version number. No version up to 3.15 stores the generation being
// collected, so collectingGeneration stays empty; 3.15 stores the frame that
// started the collection, which is reported instead. On 3.8 the GC state is
// process-wide (_PyRuntime.gc) and is read for the main interpreter only.
#pragma once

#include "runtime/threads/FrameWalker.h"
#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"

#include <optional>

namespace pyautopsy::runtime {

// The address of the interpreter's struct _gc_runtime_state; nullopt when it
// has none of its own (3.8 subinterpreters) or the layout does not say.
std::optional<std::uint64_t> gcStateAddress(const Runtime& runtime, std::uint64_t interp, bool mainInterpreter);

// nullopt when this interpreter has no GC state of its own (3.8 subinterpreters).
std::optional<snapshot::GcState> readGcState(const ObjectReader& reader, FrameWalker& frames, std::uint64_t interp,
                                             bool mainInterpreter);

}  // namespace pyautopsy::runtime
