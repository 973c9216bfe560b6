// CrashFacts: what the target says about how it died, beyond stacks and
// runtime flags: the message of a Py_FatalError, objects whose memory is
// already freed but still referenced, and the recursion limit in force.
//
// Filled by core/runtime/crash/CrashFactsReader (cores and live processes alike)
// and read by the diagnosis rules. Every fact names where it was read from,
// so a finding can say how far to trust it; unknown facts stay empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

// An object whose memory reads as freed while something still points at it.
struct FreedObject {
    std::uint64_t address = 0;
    std::string pattern;                    // what says it is freed: "ob_type 0xdddddddddddddddd ..."
    std::string referencedFrom;             // "register rbx of the crashing thread"
    std::optional<std::int64_t> nativeId;   // the thread whose register or frame holds it
    std::optional<std::uint64_t> container; // an intact list/tuple/dict still holding it, when found that way
    std::string containerType;              // "list" | "tuple" | "dict"
    std::string containerSlot;              // "item 1" | "a value"
    std::string containerFoundFrom;         // how the container was reached: "register r14", ...
};

// A call of CPython's fatal-error path found on the crashing thread's native stack.
struct FatalErrorCall {
    std::string function;                   // Py_FatalError, _Py_FatalErrorFunc, _Py_FatalRefcountErrorFunc, ...
    std::string caller;                     // the native function that called it (none_dealloc), may be empty
    std::optional<std::string> message;     // the msg argument, when recovered from the target
    std::optional<std::string> funcArgument;  // the __func__ argument (3.9+ macros pass it)
    std::string recoveredFrom;              // how message/funcArgument were read, or why not
};

struct CrashFacts {
    std::optional<FatalErrorCall> fatalError;
    std::vector<FreedObject> freedObjects;  // found outside frames' locals (registers of the crashing thread)
    std::optional<int> recursionLimit;      // sys.getrecursionlimit() of the crashing (else main) thread
    std::string recursionLimitFrom;         // "thread state 0x..." (3.11+), else the interpreter's
                                            // (3.9-3.10) or the runtime's (3.8) ceval.recursion_limit
    std::vector<std::string> notes;
};

}  // namespace pyautopsy::snapshot
