#include "runtime/state/ProcessStateReader.h"

#include "runtime/state/AtexitReader.h"
#include "runtime/state/GcStateReader.h"
#include "runtime/state/RuntimeStateReader.h"
#include "runtime/state/SingletonRefcounts.h"
#include "runtime/state/TraceHooks.h"

#include <unordered_set>

namespace pyautopsy::runtime {

snapshot::RuntimeState readProcessRuntimeState(const ObjectReader& reader)
{
    snapshot::RuntimeState state;
    readRuntimeFinalization(reader, state);
    return state;
}

void addSingletonRefcounts(const ObjectReader& reader, const target::ModuleIndex& modules, std::uint64_t mainInterp,
                           const std::vector<snapshot::Thread>& threads, snapshot::RuntimeState& out)
{
    std::vector<std::uint64_t> codeObjects;
    std::unordered_set<std::uint64_t> seen;
    for (const auto& thread : threads)
        for (const auto& frame : thread.frames)
            if (frame.codeAddress && seen.insert(*frame.codeAddress).second) codeObjects.push_back(*frame.codeAddress);
    out.singletons = readSingletonRefcounts(reader, modules, mainInterp, codeObjects, out.notes);
}

snapshot::InterpreterRuntimeState readInterpreterRuntimeState(const ObjectReader& reader, FrameWalker& frames,
                                                              std::uint64_t interp, bool mainInterpreter,
                                                              const snapshot::RuntimeState& runtime)
{
    snapshot::InterpreterRuntimeState state;
    readInterpreterFinalization(reader, interp, state);
    readInterpreterRecursionLimit(reader, interp, state);
    state.gc = readGcState(reader, frames, interp, mainInterpreter);
    state.atexit = readAtexit(reader, interp, runtime, state);
    readMonitoringTools(reader, interp, state);
    return state;
}

}  // namespace pyautopsy::runtime
