// Runtime: a CPython runtime found in a target, ready to be walked.
//
// openRuntime() finds _PyRuntime, identifies the version and build, and picks
// the layout (generated tables, overridden by the target's _Py_DebugOffsets on
// 3.13+). Everything a walker needs to interpret memory is here; nothing in it
// changes after construction.
#pragma once

#include "runtime/discovery/Capabilities.h"
#include "runtime/discovery/PythonVersion.h"
#include "runtime/layouts/Layout.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

// Addresses of exported CPython objects that identify what a pointer points
// to. Absent when the binary is not available (a 3.13+ core analysed alone).
struct WellKnownObjects {
    std::optional<std::uint64_t> codeType;      // PyCode_Type
    std::optional<std::uint64_t> none;          // _Py_NoneStruct
    std::optional<std::uint64_t> trueObject;    // _Py_TrueStruct
    std::optional<std::uint64_t> falseObject;   // _Py_FalseStruct
    std::optional<std::uint64_t> setDummy;      // value of _PySet_Dummy
};

struct Runtime {
    std::uint64_t address = 0;          // &_PyRuntime
    const target::Module* module = nullptr;  // the binary holding it; null when found without one
    std::string foundBy;                // how address was found
    PythonVersion version;
    std::string versionFoundBy;
    Capabilities caps{};
    Layout layout;
    std::string layoutSource;
    std::vector<std::string> notes;     // disagreements, guesses: shown as warnings
    WellKnownObjects objects;
};

// Throws pyautopsy::Error(NoRuntime) when the target has no CPython runtime and
// Error(Unsupported) for a CPython we cannot read.
Runtime openRuntime(const target::Memory& memory, const target::ModuleIndex& modules);

// A CPython symbol, looked up in the binary that holds the runtime only: a
// name CPython does not define would otherwise send the search through every
// extension module's symbol tables.
std::optional<std::uint64_t> findCPythonSymbol(const target::ModuleIndex& modules, const Runtime& runtime,
                                               std::string_view name);

}  // namespace pyautopsy::runtime
