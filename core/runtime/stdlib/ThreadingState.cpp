#include "runtime/stdlib/ThreadingState.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ModuleLookup.h"
#include "runtime/objects/ScalarReader.h"

#include <fmt/format.h>

#include <string_view>

namespace pyautopsy::runtime {
namespace {

bool endsWith(std::string_view text, std::string_view tail)
{
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

bool isInt(const ObjectReader& reader, std::uint64_t object)
{
    return object != 0 && (reader.typeFlags(reader.typeOf(object)) & encoding::kTpFlagsLongSubclass) != 0;
}

std::optional<std::int64_t> intValue(const ObjectReader& reader, std::uint64_t object)
{
    if (!isInt(reader, object)) return std::nullopt;
    auto value = readLong(reader, object, 3);
    return value ? toInt64(*value) : std::nullopt;
}

ThreadIdentity identityOf(const ObjectReader& reader, const InstanceAttributes& attributes, std::uint64_t thread)
{
    ThreadIdentity id;
    DictItems attrs = attributes.all(thread, reader.limits().maxContainerItems);
    DictReader dicts(reader);
    if (auto name = dicts.findStr(attrs, "_name");
        name && (reader.typeFlags(reader.typeOf(*name)) & encoding::kTpFlagsUnicodeSubclass)) {
        id.name = readStrUtf8(reader, *name, reader.limits().maxStringBytes);
    }
    if (auto daemonic = dicts.findStr(attrs, "_daemonic")) {
        if (auto value = intValue(reader, *daemonic)) id.daemon = *value != 0;   // a bool is an int
    }
    if (auto native = dicts.findStr(attrs, "_native_id")) id.nativeId = intValue(reader, *native);
    return id;
}

}  // namespace

ThreadingState readThreadingState(const ObjectReader& reader, std::uint64_t interp)
{
    ThreadingState state;
    try {
        DictReader dicts(reader);
        auto threading = moduleGlobals(reader, interp, "threading");
        if (!threading) return state;   // never imported: no names to find
        const std::uint64_t globals = *threading;

        InstanceAttributes attributes(reader);
        const std::size_t limit = reader.limits().maxThreadsPerInterpreter;
        if (auto active = dicts.findStr(globals, "_active")) {
            for (const auto& item : dicts.items(*active, limit).items) {
                auto ident = intValue(reader, item.key);
                if (!ident) continue;
                try {
                    state.byIdent[static_cast<std::uint64_t>(*ident)] = identityOf(reader, attributes, item.value);
                } catch (const target::MemoryFault& fault) {
                    state.notes.push_back(fmt::format("threading.Thread at {:#x} unreadable: {}", item.value, fault.what()));
                }
            }
        }
        // Threads between start() and their first instruction are only in _limbo.
        if (auto limbo = dicts.findStr(globals, "_limbo")) {
            for (const auto& item : dicts.items(*limbo, limit).items) {
                try {
                    auto identObject = attributes.find(item.key, "_ident");
                    auto ident = identObject ? intValue(reader, *identObject) : std::nullopt;
                    if (ident && !state.byIdent.count(static_cast<std::uint64_t>(*ident)))
                        state.byIdent[static_cast<std::uint64_t>(*ident)] = identityOf(reader, attributes, item.key);
                } catch (const target::MemoryFault& fault) {
                    state.notes.push_back(fmt::format("threading._limbo: Thread at {:#x} unreadable: {}", item.key,
                                                      fault.what()));
                }
            }
        }
    } catch (const target::MemoryFault& fault) {
        state.notes.push_back(fmt::format("threading module state unreadable: {}", fault.what()));
    }
    return state;
}

void applyBootstrapIdentity(const ObjectReader& reader, LocalsReader& locals, snapshot::Thread& thread)
{
    if (thread.name) return;
    // Outermost first: _bootstrap is a thread's first Python frame.
    for (auto it = thread.frames.rbegin(); it != thread.frames.rend(); ++it) {
        const auto& frame = *it;
        if (frame.kind != snapshot::FrameKind::Python || !frame.address || !frame.codeAddress) continue;
        if (frame.function != "_bootstrap" && frame.function != "_bootstrap_inner") continue;
        if (!endsWith(frame.file, "threading.py")) continue;
        try {
            for (const auto& local : locals.values(*frame.address, *frame.codeAddress)) {
                if (local.name != "self" || local.object == 0) continue;
                ThreadIdentity id = identityOf(reader, InstanceAttributes(reader), local.object);
                if (!id.name) break;
                thread.name = id.name;
                thread.daemon = id.daemon;
                if (!thread.nativeId && id.nativeId) thread.nativeId = id.nativeId;
                thread.notes.push_back("name read from the Thread object its bootstrap frame runs (threading no "
                                       "longer lists the thread)");
                return;
            }
        } catch (const target::MemoryFault&) {
            // A torn-down Thread object names nothing; try the next frame.
        }
    }
}

void applyThreadIdentity(const ThreadingState& state, snapshot::Thread& thread)
{
    if (!thread.threadId) return;
    auto it = state.byIdent.find(*thread.threadId);
    if (it == state.byIdent.end()) return;
    thread.name = it->second.name;
    thread.daemon = it->second.daemon;
    if (!thread.nativeId && it->second.nativeId) thread.nativeId = it->second.nativeId;
}

}  // namespace pyautopsy::runtime
