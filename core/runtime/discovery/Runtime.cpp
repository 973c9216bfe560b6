#include "runtime/discovery/Runtime.h"

#include "runtime/discovery/RuntimeLocator.h"
#include "runtime/discovery/SupportedVersions.h"
#include "runtime/layouts/AsyncioDebugOffsets.h"
#include "runtime/layouts/DebugOffsets.h"
#include "runtime/layouts/LayoutTables.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <string_view>

namespace pyautopsy::runtime {
namespace {

// A 3.13+ target analysed without its binary: the debug offsets tell the size
// of PyInterpreterState, larger in debug builds (docs/cpython-internals.md §1.3).
std::optional<bool> debugFromInterpreterSize(const PythonVersion& v, std::uint64_t interpreterSize)
{
    bool exact = false;
    const auto* release = selectLayoutTable(v.major, v.minor, v.micro, false, &exact);
    const auto* debug = selectLayoutTable(v.major, v.minor, v.micro, true, &exact);
    if (release == nullptr || debug == nullptr) return std::nullopt;
    auto releaseSize = static_cast<std::uint64_t>(release->layout.interpreter.size);
    auto debugSize = static_cast<std::uint64_t>(debug->layout.interpreter.size);
    auto distance = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : b - a; };
    if (releaseSize == debugSize) return std::nullopt;
    return distance(interpreterSize, debugSize) < distance(interpreterSize, releaseSize);
}

// asyncio's own table (3.14+), where a module of the target publishes one:
// a table that is unreadable or invalid is noted and changes nothing.
// Only the modules that can hold _asyncio are searched: its extension module,
// and the binary holding _PyRuntime (where _asyncio may be built in). Opening
// every mapped library to look for the section would double the cost of a core.
void applyAsyncioDebug(const target::Memory& memory, const target::ModuleIndex& modules,
                       const target::Module* interpreter, Runtime& rt)
{
    std::optional<target::ModuleIndex::SectionRange> section;
    for (const auto& module : modules.modules()) {
        const auto slash = module.path.rfind('/');
        const std::string_view file = std::string_view(module.path).substr(slash == std::string::npos ? 0 : slash + 1);
        if (&module != interpreter && file.rfind("_asyncio.", 0) != 0) continue;
        if ((section = modules.findSection(".AsyncioDebug", &module))) break;
    }
    if (!section || section->size < kAsyncioDebugBytes) return;
    std::vector<std::uint8_t> bytes(kAsyncioDebugBytes);
    if (memory.readSome(section->start, bytes.data(), bytes.size()) != bytes.size()) {
        rt.notes.push_back(fmt::format("_AsyncioDebug at {:#x} is unreadable", section->start));
        return;
    }
    auto offsets = parseAsyncioDebugOffsets(bytes);
    if (!offsets) {
        rt.notes.push_back(fmt::format("_AsyncioDebug at {:#x} is not a valid table; not used", section->start));
        return;
    }
    applyAsyncioDebugOffsets(*offsets, rt.layout.asyncio, rt.notes);
    rt.layoutSource += " + _AsyncioDebug";
}

}  // namespace

Runtime openRuntime(const target::Memory& memory, const target::ModuleIndex& modules)
{
    auto where = locateRuntime(memory, modules);
    if (!where) {
        throw Error(ErrorKind::NoRuntime,
                    "no CPython runtime in this target (no _PyRuntime symbol, no .PyRuntime section, "
                    "no _Py_DebugOffsets in memory)");
    }
    auto guess = identifyVersion(memory, modules, *where);
    if (!guess) {
        throw Error(ErrorKind::NoRuntime,
                    fmt::format("found _PyRuntime at {:#x} but cannot tell which Python version it belongs to",
                                where->address));
    }
    Runtime rt;
    rt.address = where->address;
    rt.foundBy = where->foundBy;
    rt.version = guess->version;
    rt.versionFoundBy = guess->foundBy;
    if (rt.version.freeThreaded) {
        throw Error(ErrorKind::Unsupported,
                    fmt::format("CPython {} is a free-threaded build; pyautopsy does not read those yet", rt.version.str()));
    }
    auto caps = capabilitiesFor(rt.version);
    if (!caps) {
        throw Error(ErrorKind::Unsupported,
                    fmt::format("CPython {} is not supported (pyautopsy reads {})", rt.version.str(),
                                supportedRange()));
    }
    rt.caps = *caps;

    std::optional<DebugOffsetsResult> offsets;
    if (rt.caps.debugOffsets) {
        Layout scratch;
        offsets = applyDebugOffsets(memory, rt.address, rt.version.minor, scratch);
        if (!guess->debugKnown && offsets->applied) {
            if (auto debug = debugFromInterpreterSize(rt.version, offsets->interpreterSize)) rt.version.debug = *debug;
        }
    }

    bool exact = false;
    const LayoutTableEntry* table =
        selectLayoutTable(rt.version.major, rt.version.minor, rt.version.micro, rt.version.debug, &exact);
    if (table != nullptr) {
        rt.layout = table->layout;
        rt.layoutSource = table->source;
        if (!exact) {
            rt.notes.push_back(fmt::format("no layout table for {}{}; using the one of {}.{}.{}", rt.version.str(),
                                           rt.version.debug ? " (debug)" : "", table->major, table->minor,
                                           table->micro));
        }
    }
    if (offsets) {
        DebugOffsetsResult applied = applyDebugOffsets(memory, rt.address, rt.version.minor, rt.layout);
        rt.notes.insert(rt.notes.end(), applied.notes.begin(), applied.notes.end());
        if (applied.applied) rt.layoutSource = table ? rt.layoutSource + " + _Py_DebugOffsets" : "_Py_DebugOffsets";
    }
    applyAsyncioDebug(memory, modules, where->module, rt);
    if (table == nullptr && !(offsets && offsets->applied)) {
        throw Error(ErrorKind::Unsupported,
                    fmt::format("no layout for CPython {}{} (no table, no usable _Py_DebugOffsets)", rt.version.str(),
                                rt.version.debug ? " debug build" : ""));
    }

    rt.module = where->module;
    rt.objects.codeType = findCPythonSymbol(modules, rt, "PyCode_Type");
    rt.objects.none = findCPythonSymbol(modules, rt, "_Py_NoneStruct");
    rt.objects.trueObject = findCPythonSymbol(modules, rt, "_Py_TrueStruct");
    rt.objects.falseObject = findCPythonSymbol(modules, rt, "_Py_FalseStruct");
    if (auto dummy = findCPythonSymbol(modules, rt, "_PySet_Dummy")) {
        std::uint64_t value = 0;
        if (memory.readSome(*dummy, &value, sizeof value) == sizeof value) rt.objects.setDummy = value;
    }
    return rt;
}

std::optional<std::uint64_t> findCPythonSymbol(const target::ModuleIndex& modules, const Runtime& runtime,
                                               std::string_view name)
{
    // Without the binary (a 3.13+ core read through _Py_DebugOffsets) there is
    // nothing to look in.
    if (runtime.module == nullptr) return std::nullopt;
    return modules.findSymbol(name, runtime.module);
}

}  // namespace pyautopsy::runtime
