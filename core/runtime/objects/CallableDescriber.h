// CallableDescriber: what a Python callable in the target is, by name.
//
// For evidence such as "the atexit callback is coverage.control.Coverage._atexit":
// a function gives its __qualname__ and __module__; a bound method, its
// function; a builtin, its PyMethodDef name (and the module or the type of
// its self); functools.partial, the function it wraps. Anything else is named
// by its type. Bounded: wrappers are unwrapped at most a few levels deep.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <optional>
#include <string>

namespace pyautopsy::runtime {

struct CallableDescription {
    std::string kind;                       // "function" | "method" | "builtin" | "partial" | the type name
    std::optional<std::string> qualname;    // of the function that runs
    std::optional<std::string> module;
};

// Throws target::MemoryFault when the object itself cannot be read.
CallableDescription describeCallable(const ObjectReader& reader, std::uint64_t callable);

}  // namespace pyautopsy::runtime
