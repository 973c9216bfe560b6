#include "engine/Engine.h"

#include "runtime/Runtime.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"
#include "support/Error.h"

#include <fmt/format.h>

namespace pyautopsy::engine {

snapshot::Snapshot analyze(target::Target& target, const AnalysisOptions& options)
{
    target::Memory memory(target);
    target::ModuleIndex modules(target);
    try {
        runtime::Runtime rt = runtime::openRuntime(memory, modules);
        target.freeze();
        return runtime::buildSnapshot(memory, modules, rt, options.snapshot);
    } catch (const Error& e) {
        // A wrong or upgraded binary is the usual reason CPython cannot be
        // found: say so in the same line.
        if (modules.warnings().empty()) throw;
        throw Error(e.kind(), fmt::format("{} ({})", e.what(), fmt::join(modules.warnings(), "; ")));
    }
}

}  // namespace pyautopsy::engine
