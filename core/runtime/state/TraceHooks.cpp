#include "runtime/state/TraceHooks.h"

#include "runtime/layouts/Field.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

constexpr std::int32_t kMaxTools = 64;   // PY_MONITORING_TOOL_IDS is 8; more is a bad layout

std::optional<snapshot::TraceHook> readHook(const ObjectReader& reader, const target::ModuleIndex& modules,
                                            std::uint64_t tstate, Offset funcOffset, Offset objOffset)
{
    if (!has(funcOffset)) return std::nullopt;
    std::uint64_t func = readPointerField(reader.memory(), tstate, funcOffset);
    if (func == 0) return std::nullopt;
    snapshot::TraceHook hook;
    hook.function = func;
    if (auto hit = modules.symbolize(func)) {
        if (!hit->name.empty()) hook.symbol = hit->name;
        if (hit->module) hook.module = hit->module->path;
    }
    if (has(objOffset)) hook.object = readPointerField(reader.memory(), tstate, objOffset);
    if (hook.object != 0) {
        try {
            hook.objectType = reader.typeNameOf(hook.object);
        } catch (const target::MemoryFault&) {
            // The object is gone or garbage: keep the address, name no type.
        }
    }
    return hook;
}

}  // namespace

snapshot::ThreadHooks readThreadHooks(const ObjectReader& reader, const target::ModuleIndex& modules,
                                      std::uint64_t tstate)
{
    const auto& t = reader.runtime().layout.thread;
    snapshot::ThreadHooks hooks;
    try {
        hooks.trace = readHook(reader, modules, tstate, t.c_tracefunc, t.c_traceobj);
        hooks.profile = readHook(reader, modules, tstate, t.c_profilefunc, t.c_profileobj);
        hooks.read = true;
    } catch (const target::MemoryFault&) {
        hooks.read = false;
    }
    return hooks;
}

void readMonitoringTools(const ObjectReader& reader, std::uint64_t interp, snapshot::InterpreterRuntimeState& out)
{
    const auto& L = reader.runtime().layout.interpreter;
    if (!has(L.monitoring_tool_names) || !has(L.monitoring_tool_count)) return;
    const std::int32_t count = L.monitoring_tool_count;
    if (count <= 0 || count > kMaxTools) return;
    try {
        for (std::int32_t id = 0; id < count; ++id) {
            std::uint64_t name = reader.memory().readPointer(fieldAddress(interp, L.monitoring_tool_names) + 8 * id);
            if (name == 0) continue;
            snapshot::MonitoringTool tool;
            tool.id = id;
            tool.name = reader.readString(name).value_or("?");
            out.monitoringTools.push_back(tool);
        }
        out.monitoringKnown = true;
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("sys.monitoring tool names unreadable: {}", fault.what()));
    }
}

}  // namespace pyautopsy::runtime
