// ProcessState: the runtime-wide and per-interpreter state a diagnosis needs
// besides the stacks: finalization flags, GC, atexit callbacks, the refcounts
// of the immortal-or-not singletons, and the trace/profile hooks.
//
// Plain data, filled by core/runtime (RuntimeStateReader, GcStateReader,
// AtexitReader, SingletonRefcounts, TraceHooks) and read by reports and
// diagnosis rules. A fact that could not be read, or that the version does not
// record, is an empty optional; each struct carries notes saying why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

// The refcount of one statically known object ("None", "0", "()").
struct SingletonRefcount {
    std::string name;                       // as Python would print it: None, True, -5, (), ''
    std::optional<std::uint64_t> address;
    std::optional<std::uint64_t> raw;       // the whole 8-byte ob_refcnt word
    std::optional<std::int64_t> refcount;   // Py_REFCNT() as this version computes it
    std::optional<std::uint16_t> flags;     // 3.14+: ob_flags (1 immortal, 4 statically allocated)
    bool immortal = false;                  // the version treats the object as immortal now
    std::string foundBy;                    // "symbol _Py_NoneStruct", "_PyRuntime singletons", ...
};

// Process-wide runtime state (_PyRuntime).
struct RuntimeState {
    std::optional<bool> initialized;
    std::optional<bool> coreInitialized;
    std::optional<bool> finalizing;                     // _PyRuntime._finalizing != NULL
    std::optional<std::uint64_t> finalizingThreadState; // the tstate running Py_FinalizeEx
    std::optional<std::uint64_t> finalizingThreadId;    // its thread ident
    std::string finalizingThreadIdFrom;                 // "_finalizing_id" or "thread state"
    std::optional<int> cAtexitCount;                    // Py_AtExit C functions registered
    bool immortalObjects = false;                       // the version has immortal objects
    std::vector<SingletonRefcount> singletons;
    std::vector<std::string> notes;
};

struct GcGeneration {
    int index = 0;
    std::optional<int> count;
    std::optional<int> threshold;
};

struct GcState {
    std::string kind;                       // "generational" | "incremental"
    std::optional<bool> enabled;
    std::optional<bool> collecting;
    std::optional<int> collectingGeneration; // no version up to 3.15 records it: always empty so far
    std::optional<std::uint64_t> collectingFrame;   // 3.15: the frame that started the collection
    std::optional<std::string> collectingFunction;  // that frame's function
    std::vector<GcGeneration> generations;  // young first
    std::vector<std::string> notes;
};

// One Python-level atexit callback.
struct AtexitCallback {
    std::uint64_t address = 0;              // the callable
    std::string kind;                       // "function" | "method" | "builtin" | "partial" | the type name
    std::optional<std::string> qualname;    // of the function that will run
    std::optional<std::string> module;
    std::optional<int> argCount;            // positional arguments registered with it
    std::optional<int> kwargCount;
};

enum class AtexitStatus {
    Unknown,
    None,      // nothing registered and Py_FinalizeEx has not reached the atexit step
    Pending,   // registered, not yet called
    Calling,   // registered, and Py_FinalizeEx has started (3.12+ interp->finalizing): being called now
    Ran,       // the list is empty and Py_FinalizeEx is past the atexit step
};

struct AtexitState {
    AtexitStatus status = AtexitStatus::Unknown;
    std::string statusReason;               // the facts the status was derived from
    std::vector<AtexitCallback> callbacks;
    std::vector<std::string> notes;
};

struct MonitoringTool {
    int id = 0;
    std::string name;
};

// Per interpreter.
struct InterpreterRuntimeState {
    std::optional<bool> finalizing;                     // interp->finalizing (int)
    std::optional<std::uint64_t> finalizingThreadState; // 3.12+ interp->_finalizing
    std::optional<std::uint64_t> finalizingThreadId;    // 3.12+ interp->_finalizing_id
    std::optional<std::int64_t> modulesCount;           // len(sys.modules)
    std::optional<int> recursionLimit;                  // sys.getrecursionlimit()
    std::string recursionLimitFrom;                     // "interp->ceval.recursion_limit", ...
    std::optional<GcState> gc;
    std::optional<AtexitState> atexit;
    std::vector<MonitoringTool> monitoringTools;        // 3.12+ sys.monitoring tool ids in use
    bool monitoringKnown = false;                       // the version has sys.monitoring and it was read
    std::vector<std::string> notes;
};

// A C-level trace or profile hook of one thread (tstate->c_tracefunc, c_traceobj).
struct TraceHook {
    std::uint64_t function = 0;             // the C function
    std::optional<std::string> symbol;      // its symbol (trace_trampoline, a C tracer's own function)
    std::optional<std::string> module;      // the module that holds it
    std::uint64_t object = 0;               // the object passed to it
    std::optional<std::string> objectType;  // its type's tp_name: function, coverage.CTracer
};

struct ThreadHooks {
    std::optional<TraceHook> trace;         // empty: no trace function
    std::optional<TraceHook> profile;
    bool read = false;                      // false when the thread state could not be read
};

}  // namespace pyautopsy::snapshot
