#include "runtime/threads/Namespaces.h"

#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/ScalarReader.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

snapshot::Namespace readNamespace(const ObjectReader& reader, ObjectRepr& repr, std::uint64_t dict)
{
    snapshot::Namespace out;
    const auto& limits = reader.limits();
    DictItems items = DictReader(reader).items(dict, limits.maxContainerItems);
    out.complete = items.complete;
    for (const auto& item : items.items) {
        auto name = readStrUtf8(reader, item.key, limits.maxStringBytes);
        if (!name) continue;   // a non-str key: no name can reach it
        out.names.push_back({*name, repr.repr(item.value), {}});
    }
    return out;
}

}  // namespace

void addNamespaces(const ObjectReader& reader, ObjectRepr& repr, snapshot::Thread& thread,
                   std::map<std::uint64_t, snapshot::Namespace>& namespaces)
{
    const auto& L = reader.runtime().layout;
    const auto& memory = reader.memory();
    // 3.11+ keeps them in the interpreter frame, older versions in the frame object.
    const bool interpreterFrame = has(L.interpreterFrame.f_globals);
    const Offset globalsAt = interpreterFrame ? L.interpreterFrame.f_globals : L.frameObject.f_globals;
    const Offset builtinsAt = interpreterFrame ? L.interpreterFrame.f_builtins : L.frameObject.f_builtins;
    const Offset localsAt = interpreterFrame ? L.interpreterFrame.f_locals : L.frameObject.f_locals;
    if (!has(globalsAt) || !has(builtinsAt)) return;
    for (auto& frame : thread.frames) {
        if (frame.kind != snapshot::FrameKind::Python || !frame.address) continue;
        try {
            const std::uint64_t globals = readPointerField(memory, *frame.address, globalsAt);
            const std::uint64_t builtins = readPointerField(memory, *frame.address, builtinsAt);
            const std::uint64_t locals = has(localsAt) ? readPointerField(memory, *frame.address, localsAt) : 0;
            if (globals) frame.globals = globals;
            if (builtins) frame.builtins = builtins;
            frame.localsAreGlobals = globals != 0 && locals == globals;
        } catch (const target::MemoryFault& fault) {
            thread.notes.push_back(fmt::format("namespaces of frame {:#x} unreadable: {}", *frame.address, fault.what()));
            continue;
        }
        for (std::uint64_t dict : {frame.globals.value_or(0), frame.builtins.value_or(0)}) {
            if (dict == 0 || namespaces.contains(dict)) continue;
            try {
                namespaces.emplace(dict, readNamespace(reader, repr, dict));
            } catch (const target::MemoryFault& fault) {
                snapshot::Namespace unreadable;
                unreadable.complete = false;
                namespaces.emplace(dict, std::move(unreadable));
                thread.notes.push_back(fmt::format("namespace dict {:#x} unreadable: {}", dict, fault.what()));
            }
        }
    }
}

}  // namespace pyautopsy::runtime
