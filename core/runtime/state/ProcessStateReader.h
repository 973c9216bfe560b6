// ProcessStateReader: runs the collectors of runtime-wide and per-interpreter
// state (RuntimeStateReader, SingletonRefcounts, GcStateReader, AtexitReader,
// TraceHooks) in the order their facts depend on each other, so that
// SnapshotBuilder calls one function per level.
#pragma once

#include "runtime/threads/FrameWalker.h"
#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"
#include "snapshot/Snapshot.h"
#include "target/ModuleIndex.h"

namespace pyautopsy::runtime {

// The runtime-wide state but the singletons, which need the walked threads.
snapshot::RuntimeState readProcessRuntimeState(const ObjectReader& reader);

// Fills out.singletons. `mainInterp`: the main interpreter's address, 0 when
// unknown; `threads`: walked, so that their code objects can name ().
void addSingletonRefcounts(const ObjectReader& reader, const target::ModuleIndex& modules, std::uint64_t mainInterp,
                           const std::vector<snapshot::Thread>& threads, snapshot::RuntimeState& out);

snapshot::InterpreterRuntimeState readInterpreterRuntimeState(const ObjectReader& reader, FrameWalker& frames,
                                                              std::uint64_t interp, bool mainInterpreter,
                                                              const snapshot::RuntimeState& runtime);

}  // namespace pyautopsy::runtime
