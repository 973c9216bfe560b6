#include "engine/Engine.h"

#include "runtime/Runtime.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

namespace pyautopsy::engine {

snapshot::Snapshot analyze(target::Target& target, const AnalysisOptions& options)
{
    target::Memory memory(target);
    target::ModuleIndex modules(target);
    runtime::Runtime rt = runtime::openRuntime(memory, modules);
    return runtime::buildSnapshot(memory, modules, rt, options.snapshot);
}

}  // namespace pyautopsy::engine
