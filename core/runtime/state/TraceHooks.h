// TraceHooks: the trace and profile hooks a thread has installed, and the
// sys.monitoring tools (3.12+) an interpreter has in use.
//
// A thread's hook is a C function (tstate->c_tracefunc / c_profilefunc) and
// an object handed to it (c_traceobj / c_profileobj). The function is named
// through the module index: CPython's own trampoline for sys.settrace and
// sys.setprofile (trace_trampoline, profile_trampoline, or 3.12+'s
// sys_trace_* handlers), or a C tracer's function such as coverage's
// CTracer_trace. The object is named by its type (function, coverage.CTracer).
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"
#include "target/ModuleIndex.h"

#include <vector>

namespace pyautopsy::runtime {

snapshot::ThreadHooks readThreadHooks(const ObjectReader& reader, const target::ModuleIndex& modules,
                                      std::uint64_t tstate);

// Fills monitoringTools and monitoringKnown (3.12+; nothing on older versions).
void readMonitoringTools(const ObjectReader& reader, std::uint64_t interp, snapshot::InterpreterRuntimeState& out);

}  // namespace pyautopsy::runtime
