// Commands: the Python-aware commands the plugin adds to LLDB.
//
//   py-bt [-a|--all] [--native]      Python backtrace, most recent call first
//   py-bt-full [-a|--all] [--native] the same with each frame's locals
//   py-list                          source around the selected Python frame
//   py-locals, py-print NAME         locals of the selected Python frame
//   py-up [N], py-down [N]           select an older / newer Python frame
//   pyautopsy threads | report [--json] [--locals] [--native] | gc | runtime | diagnose
//
// Every command adapts the selected process (LldbTarget), asks the engine for
// a snapshot (through the Session cache) and prints it with core/report, so
// the words match the CLI's. Each one catches every exception at its boundary
// and reports it as one error line: a command never takes LLDB down.
#pragma once

#include <lldb/API/LLDB.h>

namespace pyautopsy::lldbplugin {

// Adds the commands to `debugger`'s interpreter; false when LLDB refused one.
bool registerCommands(lldb::SBDebugger debugger);

}  // namespace pyautopsy::lldbplugin
