// Finding _PyRuntime and telling which CPython it belongs to.
//
// Three ways, tried in order: the `_PyRuntime` symbol of a mapped module, the
// `.PyRuntime` section (3.10+; stripped binaries keep section headers), and on
// 3.13+ a scan of writable memory for the _Py_DebugOffsets cookie, which needs
// no binary at all. The version then comes from the debug offsets, the
// `Py_Version` constant (3.11+), the `version.0` buffer (unstripped 3.8-3.10),
// or the module's file name (major.minor only).
#pragma once

#include "runtime/discovery/PythonVersion.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

#include <cstdint>
#include <optional>
#include <string>

namespace pyautopsy::runtime {

struct RuntimeLocation {
    std::uint64_t address = 0;
    std::string foundBy;
    const target::Module* module = nullptr;   // module holding _PyRuntime, if known
};

struct VersionGuess {
    PythonVersion version;
    std::string foundBy;
    bool debugKnown = false;                  // whether version.debug was decided
};

inline constexpr char kDebugCookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};

std::optional<RuntimeLocation> locateRuntime(const target::Memory& memory, const target::ModuleIndex& modules);

std::optional<VersionGuess> identifyVersion(const target::Memory& memory, const target::ModuleIndex& modules,
                                            const RuntimeLocation& where);

// Parses "3.9.18 (main, ...)" or "3.13.0" into major/minor/micro.
std::optional<PythonVersion> parseVersionString(const std::string& text);

// Decodes PY_VERSION_HEX.
PythonVersion versionFromHex(std::uint32_t hex);

}  // namespace pyautopsy::runtime
