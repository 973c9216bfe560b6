#include "runtime/discovery/RuntimeLocator.h"

#include <cstring>
#include <string_view>
#include <vector>

namespace pyautopsy::runtime {
namespace {

// PY_VERSION_HEX values that make sense for a debug-offsets header.
bool plausibleHex(std::uint64_t hex)
{
    return (hex >> 24) == 3 && ((hex >> 16) & 0xff) >= 13 && ((hex >> 16) & 0xff) <= 40;
}

bool hasCookieAt(const target::Memory& memory, std::uint64_t address)
{
    char cookie[8];
    if (memory.readSome(address, cookie, sizeof cookie) != sizeof cookie) return false;
    return std::memcmp(cookie, kDebugCookie, sizeof cookie) == 0;
}

// 3.13+: _PyRuntime starts with _Py_DebugOffsets, whose cookie we can find in
// writable memory without any binary. Bounded by the size of writable memory.
std::optional<std::uint64_t> scanForCookie(const target::Memory& memory)
{
    constexpr std::size_t kChunk = 1 << 20;
    // A corrupt core can claim mappings of terabytes: scan at most this much.
    constexpr std::uint64_t kMaxScanned = std::uint64_t{4} << 30;
    std::uint64_t scanned = 0;
    std::vector<char> buffer(kChunk + sizeof kDebugCookie);
    for (const auto& mapping : memory.target().mappings()) {
        if (!mapping.writable) continue;
        for (std::uint64_t at = mapping.start; at < mapping.end && scanned < kMaxScanned; at += kChunk) {
            std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), mapping.end - at));
            std::size_t got = memory.readSome(at, buffer.data(), want);
            scanned += want;
            // The runtime is 8-byte aligned and the cookie is followed by a version.
            for (std::size_t i = 0; i + 16 <= got; i += 8) {
                if (std::memcmp(buffer.data() + i, kDebugCookie, sizeof kDebugCookie) != 0) continue;
                std::uint64_t hex;
                std::memcpy(&hex, buffer.data() + i + 8, sizeof hex);
                if (plausibleHex(hex)) return at + i;
            }
            if (got < want) break;   // the rest of this mapping is not readable
        }
    }
    return std::nullopt;
}

// A run of decimal digits at the front of `text`, consumed; nullopt when
// there is none or it does not fit an int.
std::optional<int> takeNumber(std::string_view& text)
{
    std::size_t digits = 0;
    int value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        if (value > 100000) return std::nullopt;
        value = value * 10 + (text[digits] - '0');
        ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    return value;
}

// "python3.12", "libpython3.12d.so.1.0", ".../python3.8": the version a
// module's file name carries. Parsed by hand: compiling a std::regex cost
// more than finding the runtime.
std::optional<PythonVersion> versionFromModuleName(std::string_view path)
{
    std::string_view name = path.substr(path.rfind('/') + 1);   // npos + 1 == 0: no directory
    if (name.starts_with("lib")) name.remove_prefix(3);
    if (!name.starts_with("python")) return std::nullopt;
    name.remove_prefix(6);
    if (name.size() < 3 || name[0] < '0' || name[0] > '9' || name[1] != '.') return std::nullopt;
    PythonVersion v;
    v.major = name[0] - '0';
    name.remove_prefix(2);
    auto minor = takeNumber(name);
    if (!minor) return std::nullopt;
    v.minor = *minor;
    return v;
}

bool hasDebugSymbols(const target::ModuleIndex& modules, const target::Module* in)
{
    // Py_REF_DEBUG (implied by Py_DEBUG) exports these; release builds do not,
    // so .dynsym alone answers, without indexing the much larger .symtab.
    return modules.findSymbol("_Py_NegativeRefcount", in, true).has_value() ||
           modules.findSymbol("_Py_RefTotal", in, true).has_value();
}

// _PyRuntime is exported (PyAPI_DATA) by every build: by the executable when
// libpython is linked into it (Debian), else by libpython. Asking those
// modules' .dynsym first spares opening every library mapped, and indexing
// their full .symtab, on the way to libpython (bench/README.md).
std::optional<RuntimeLocation> exportedRuntime(const target::ModuleIndex& modules)
{
    std::vector<const target::Module*> candidates;
    if (const target::Module* main = modules.mainExecutable()) candidates.push_back(main);
    for (const auto& module : modules.modules()) {
        if (&module != modules.mainExecutable() && versionFromModuleName(module.path)) candidates.push_back(&module);
    }
    for (const target::Module* module : candidates) {
        if (auto address = modules.findSymbol("_PyRuntime", module, true))
            return RuntimeLocation{*address, "symbol _PyRuntime", module};
    }
    return std::nullopt;
}

}  // namespace

PythonVersion versionFromHex(std::uint32_t hex)
{
    PythonVersion v;
    v.major = static_cast<int>((hex >> 24) & 0xff);
    v.minor = static_cast<int>((hex >> 16) & 0xff);
    v.micro = static_cast<int>((hex >> 8) & 0xff);
    v.hex = hex;
    return v;
}

std::optional<PythonVersion> parseVersionString(const std::string& text)
{
    // "3.12.1+ (main, ...": one digit, then two numbers, each after a dot.
    std::string_view rest(text);
    if (rest.size() < 2 || rest[0] < '0' || rest[0] > '9' || rest[1] != '.') return std::nullopt;
    PythonVersion v;
    v.major = rest[0] - '0';
    rest.remove_prefix(2);
    auto minor = takeNumber(rest);
    if (!minor || !rest.starts_with('.')) return std::nullopt;
    rest.remove_prefix(1);
    auto micro = takeNumber(rest);
    if (!micro) return std::nullopt;
    v.minor = *minor;
    v.micro = *micro;
    return v;
}

std::optional<RuntimeLocation> locateRuntime(const target::Memory& memory, const target::ModuleIndex& modules)
{
    if (auto exported = exportedRuntime(modules)) return exported;
    // Any module's symbol tables, .symtab too: the executable first, then libpython.
    if (auto address = modules.findSymbol("_PyRuntime")) {
        // The module whose symbol table names it: on 3.8/3.9 _PyRuntime lies in
        // libpython's .bss, past the file-backed mappings moduleAt() knows.
        const target::Module* owner = modules.moduleAt(*address);
        for (const auto& module : modules.modules()) {
            if (owner != nullptr) break;
            if (modules.findSymbol("_PyRuntime", &module, true) == address) owner = &module;
        }
        return RuntimeLocation{*address, "symbol _PyRuntime", owner};
    }
    if (auto section = modules.findSection(".PyRuntime")) {
        return RuntimeLocation{section->start, "section .PyRuntime", section->module};
    }
    if (auto address = scanForCookie(memory)) {
        return RuntimeLocation{*address, "_Py_DebugOffsets cookie in memory", modules.moduleAt(*address)};
    }
    return std::nullopt;
}

std::optional<VersionGuess> identifyVersion(const target::Memory& memory, const target::ModuleIndex& modules,
                                            const RuntimeLocation& where)
{
    const target::Module* in = where.module;
    std::optional<VersionGuess> guess;

    if (hasCookieAt(memory, where.address)) {
        std::uint64_t hex = memory.read<std::uint64_t>(where.address + 8);
        std::uint64_t freeThreaded = memory.read<std::uint64_t>(where.address + 16);
        if (plausibleHex(hex)) {
            guess = VersionGuess{versionFromHex(static_cast<std::uint32_t>(hex)), "_Py_DebugOffsets.version", false};
            guess->version.freeThreaded = freeThreaded != 0;
        }
    }
    if (!guess) {
        if (auto address = modules.findSymbol("Py_Version", in)) {
            std::uint32_t hex = 0;
            if (memory.readSome(*address, &hex, sizeof hex) == sizeof hex && (hex >> 24) == 3) {
                guess = VersionGuess{versionFromHex(hex), "Py_Version", false};
            }
        }
    }
    if (!guess) {
        // Filled by Py_GetVersion() during start-up; only in unstripped builds.
        if (auto address = modules.findSymbol("version.0", in)) {
            if (auto v = parseVersionString(memory.readCString(*address, 64))) {
                guess = VersionGuess{*v, "version.0 buffer", false};
            }
        }
    }
    if (!guess && in != nullptr) {
        if (auto v = versionFromModuleName(in->path)) guess = VersionGuess{*v, "file name " + in->path, false};
    }
    if (!guess) {
        for (const auto& module : modules.modules()) {
            if (auto v = versionFromModuleName(module.path)) {
                guess = VersionGuess{*v, "file name " + module.path, false};
                break;
            }
        }
    }
    if (!guess) return std::nullopt;

    if (in != nullptr && modules.image(*in) != nullptr) {
        guess->version.debug = hasDebugSymbols(modules, in);
        guess->debugKnown = true;
    }
    return guess;
}

}  // namespace pyautopsy::runtime
