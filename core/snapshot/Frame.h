// Frame: one Python or native frame of a thread (or of a suspended coroutine),
// with its locals when they were asked for. Plain facts; see Snapshot.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::snapshot {

enum class FrameKind { Python, Native };

// What a native frame's function does for CPython, when it is one of the C
// functions the rules reason about. The runtime layer knows their names
// (runtime/layouts/NativeFunctions.cpp); rules and front ends ask for roles.
enum class NativeRole {
    None,
    EvalLoop,           // runs Python frames (_PyEval_EvalFrameDefault)
    GilWait,            // taking or handing over the GIL
    LockWait,           // a threading lock's or CPython mutex's acquire, down to the semaphore
    GcCollect,          // a garbage collection
    GcStep,             // one step of a collection: traversal, subtracting refs, finalizing garbage
    Finalize,           // Py_FinalizeEx and its callers
    ModuleTeardown,     // finalize_modules: clearing module dicts at exit
    AtexitCall,         // running atexit callbacks
    ThreadShutdown,     // threading._shutdown() called at exit
    FatalError,         // Py_FatalError and the functions that print and abort
    RefcountFatal,      // _Py_FatalRefcountErrorFunc: a refcount error made fatal
    NegativeRefcount,   // a debug build's negative-refcount check
    NoneDealloc,        // deallocating None (fatal before 3.12)
    BoolDealloc,        // deallocating True or False
    IntDealloc,         // deallocating an int (fatal for a small int)
};

// A native symbol without compiler suffixes: "collect.constprop.0" -> "collect".
inline std::string_view baseSymbol(std::string_view symbol)
{
    auto dot = symbol.find('.');
    return dot == std::string_view::npos ? symbol : symbol.substr(0, dot);
}

struct Local {
    std::string name;
    std::string repr;
    std::vector<std::uint64_t> freedObjects;    // freed objects the value is or holds (0xDD-filled:
                                                // the debug allocator's freed memory); diagnosis evidence
};

struct Frame {
    FrameKind kind = FrameKind::Python;
    std::string function;                   // co_name, or the native symbol
    std::optional<std::string> qualname;    // co_qualname (3.11+)
    std::string file;                       // co_filename, or the native module's path
    std::optional<int> line;                // as frame.f_lineno reports it
    std::optional<std::uint64_t> address;   // the frame (Python) or pc (native)
    std::optional<std::uint64_t> codeAddress;
    bool entry = false;                     // first Python frame of a C-level eval call
    // Python frames: the callable (not Python code) its call in progress runs,
    // as repr() shows it: `<built-in function sleep>`. Only where the frame
    // recorded its stack for that call (3.14+, runtime/threads/CallsInProgress.h).
    std::optional<std::string> calling;
    bool startedGc = false;                 // the collection in progress started in this frame (3.15+)
    std::optional<std::uint64_t> shimAddress;   // entry frames, 3.12+: the eval call's shim frame,
                                                // a local on that call's C stack (for --native)
    std::optional<std::uint64_t> symbolOffset;  // native: pc - symbol start
    NativeRole role = NativeRole::None;         // native: what the function does for CPython
    std::vector<Local> locals;
    std::vector<std::string> unboundLocals;     // with locals: locals with no value (yet, or any more)
    // With SnapshotOptions::namespaces: the dicts names are looked up in after
    // the locals (keys of Snapshot::namespaces), and whether the frame's
    // locals are its globals (module level, exec).
    std::optional<std::uint64_t> globals;
    std::optional<std::uint64_t> builtins;
    bool localsAreGlobals = false;
};

// The names of a globals or builtins dict, in its order, as reprs.
struct Namespace {
    std::vector<Local> names;
    bool complete = true;                       // false: cut at Limits::maxContainerItems, or unreadable
};

}  // namespace pyautopsy::snapshot
