// The entry point LLDB looks up after `plugin load libpyautopsy_lldb.so`.
//
// The only symbol the library exports (see exports.map): everything else,
// including the engine's static libraries, stays hidden so that it can never
// clash with LLVM's own symbols inside the LLDB process.
#include "Commands.h"

#include <lldb/API/LLDB.h>

namespace lldb {

// Declared by LLDB's plugin loader, not by its headers.
__attribute__((visibility("default"))) bool PluginInitialize(SBDebugger debugger);

bool PluginInitialize(SBDebugger debugger)
{
    try {
        return pyautopsy::lldbplugin::registerCommands(debugger);
    } catch (...) {
        return false;  // never let an exception cross into LLDB
    }
}

}  // namespace lldb
