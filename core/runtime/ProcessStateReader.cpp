#include "runtime/ProcessStateReader.h"

#include "runtime/AtexitReader.h"
#include "runtime/GcStateReader.h"
#include "runtime/RuntimeStateReader.h"
#include "runtime/SingletonRefcounts.h"
#include "runtime/TraceHooks.h"

namespace pyautopsy::runtime {

snapshot::RuntimeState readProcessRuntimeState(const ObjectReader& reader, const target::ModuleIndex& modules,
                                               std::uint64_t mainInterp)
{
    snapshot::RuntimeState state;
    readRuntimeFinalization(reader, state);
    state.singletons = readSingletonRefcounts(reader, modules, mainInterp, state.notes);
    return state;
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
