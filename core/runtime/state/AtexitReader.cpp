#include "runtime/state/AtexitReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/CallableDescriber.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

constexpr std::int64_t kMaxCallbacks = 1 << 16;   // a larger count is corrupt memory

struct RawCallback {
    std::uint64_t func = 0, args = 0, kwargs = 0;
};

snapshot::AtexitCallback describe(const ObjectReader& reader, const RawCallback& raw)
{
    snapshot::AtexitCallback cb;
    cb.address = raw.func;
    CallableDescription d = describeCallable(reader, raw.func);
    cb.kind = d.kind;
    cb.qualname = d.qualname;
    cb.module = d.module;
    if (raw.args != 0) {
        if (auto items = reader.readTupleItems(raw.args)) cb.argCount = static_cast<int>(items->size());
    }
    const auto& o = reader.runtime().layout.object;
    if (raw.kwargs == 0) {
        cb.kwargCount = 0;
    } else if ((reader.typeFlags(reader.typeOf(raw.kwargs)) & encoding::kTpFlagsDictSubclass) != 0) {
        cb.kwargCount = static_cast<int>(readField<std::int64_t>(reader.memory(), raw.kwargs, o.dict_used));
    }
    return cb;
}

// <= 3.13: an array of pointers to {func, args, kwargs}; NULL slots are unregistered ones.
std::vector<RawCallback> fromStructArray(const ObjectReader& reader, std::uint64_t state, std::vector<std::string>& notes)
{
    const auto& memory = reader.memory();
    const auto& a = reader.runtime().layout.atexit;
    std::vector<RawCallback> out;
    std::uint64_t array = readPointerField(memory, state, a.callbacks);
    auto count = readField<std::int32_t>(memory, state, a.ncallbacks);
    if (count < 0 || count > kMaxCallbacks) {
        notes.push_back(fmt::format("atexit callback count {} is not plausible", count));
        return out;
    }
    if (count > 0 && array == 0) {
        notes.push_back("atexit callback array is NULL");
        return out;
    }
    for (std::int32_t i = 0; i < count; ++i) {
        std::uint64_t entry = memory.readPointer(array + 8 * static_cast<std::uint64_t>(i));
        if (entry == 0) continue;
        RawCallback raw;
        raw.func = readPointerField(memory, entry, a.callback_func);
        raw.args = readPointerField(memory, entry, a.callback_args);
        raw.kwargs = readPointerField(memory, entry, a.callback_kwargs);
        if (raw.func != 0) out.push_back(raw);
    }
    return out;
}

// 3.14+: a list of (func, args, kwargs) tuples.
std::vector<RawCallback> fromList(const ObjectReader& reader, std::uint64_t state, std::vector<std::string>& notes)
{
    const auto& memory = reader.memory();
    const auto& o = reader.runtime().layout.object;
    std::vector<RawCallback> out;
    std::uint64_t list = readPointerField(memory, state, reader.runtime().layout.atexit.callbacks);
    if (list == 0) return out;
    if ((reader.typeFlags(reader.typeOf(list)) & encoding::kTpFlagsListSubclass) == 0) {
        notes.push_back("atexit callbacks are not a list");
        return out;
    }
    auto size = readField<std::int64_t>(memory, list, o.list_size);
    if (size < 0 || size > kMaxCallbacks) {
        notes.push_back(fmt::format("atexit callback list size {} is not plausible", size));
        return out;
    }
    std::uint64_t items = readPointerField(memory, list, o.list_items);
    for (std::int64_t i = 0; i < size; ++i) {
        std::uint64_t item = memory.readPointer(items + 8 * static_cast<std::uint64_t>(i));
        auto fields = reader.readTupleItems(item);
        if (!fields || fields->empty()) continue;
        RawCallback raw;
        raw.func = (*fields)[0];
        if (fields->size() > 1) raw.args = (*fields)[1];
        if (fields->size() > 2 && (*fields)[2] != reader.runtime().objects.none.value_or(0)) raw.kwargs = (*fields)[2];
        out.push_back(raw);
    }
    return out;
}

// The address of the struct holding callbacks/ncallbacks, or 0 with a note.
std::uint64_t stateAddress(const ObjectReader& reader, std::uint64_t interp, std::vector<std::string>& notes)
{
    const auto& L = reader.runtime().layout;
    if (has(L.interpreter.atexit)) return fieldAddress(interp, L.interpreter.atexit);
    if (!has(L.interpreter.pyexitmodule) || !has(L.object.module_state)) return 0;
    std::uint64_t module = readPointerField(reader.memory(), interp, L.interpreter.pyexitmodule);
    if (module == 0) {
        notes.push_back("the atexit module was never imported (or is gone)");
        return 0;
    }
    if (reader.typeNameOf(module) != std::optional<std::string>("module")) {
        notes.push_back("interp->pyexitmodule is no longer a module (freed during teardown)");
        return 0;
    }
    std::uint64_t state = readPointerField(reader.memory(), module, L.object.module_state);
    if (state == 0) notes.push_back("the atexit module has no state");
    return state;
}

void deriveStatus(snapshot::AtexitState& out, const snapshot::RuntimeState& runtime,
                  const snapshot::InterpreterRuntimeState& interpreter, bool mainInterpreter)
{
    using snapshot::AtexitStatus;
    // 3.12+ also records the finalizing thread per interpreter (subinterpreters too).
    const bool pastAtexit = (mainInterpreter && runtime.finalizing.value_or(false)) ||
                            interpreter.finalizingThreadState.has_value();
    const bool finalizeStarted = interpreter.finalizing.value_or(false);
    if (out.callbacks.empty()) {
        if (pastAtexit) {
            out.status = AtexitStatus::Ran;
            out.statusReason = "no callbacks left and _PyRuntime._finalizing is set: Py_FinalizeEx sets it after "
                               "calling the atexit callbacks, and empties the list once they have run";
        } else {
            out.status = AtexitStatus::None;
            out.statusReason = "no callbacks registered and the runtime is not finalizing";
        }
        return;
    }
    if (pastAtexit) {
        out.status = AtexitStatus::Pending;
        out.statusReason = "callbacks registered while _PyRuntime._finalizing is set: registered after the atexit "
                           "step of Py_FinalizeEx, they will not be called";
    } else if (finalizeStarted) {
        out.status = AtexitStatus::Calling;
        out.statusReason = "callbacks registered and interp->finalizing is set but _PyRuntime._finalizing is not: "
                           "Py_FinalizeEx is joining threads or calling the atexit callbacks now";
    } else {
        out.status = AtexitStatus::Pending;
        out.statusReason = "callbacks registered and the runtime is not finalizing: they run only if the process "
                           "exits normally";
    }
}

}  // namespace

snapshot::AtexitState readAtexit(const ObjectReader& reader, std::uint64_t interp,
                                 const snapshot::RuntimeState& runtime,
                                 const snapshot::InterpreterRuntimeState& interpreter)
{
    snapshot::AtexitState out;
    const auto& a = reader.runtime().layout.atexit;
    if (!has(a.callbacks)) {
        out.notes.push_back("no atexit layout for this version");
        return out;
    }
    std::int64_t id = -1;
    try {
        id = readField<std::int64_t>(reader.memory(), interp, reader.runtime().layout.interpreter.id);
        std::uint64_t state = stateAddress(reader, interp, out.notes);
        if (state == 0) return out;
        // Layout presence tells the two shapes apart: the struct array has a count.
        std::vector<RawCallback> raw =
            has(a.ncallbacks) ? fromStructArray(reader, state, out.notes) : fromList(reader, state, out.notes);
        for (const auto& r : raw) {
            try {
                out.callbacks.push_back(describe(reader, r));
            } catch (const target::MemoryFault& fault) {
                out.notes.push_back(fmt::format("atexit callback {:#x} unreadable: {}", r.func, fault.what()));
            }
        }
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("atexit state unreadable: {}", fault.what()));
        return out;
    }
    deriveStatus(out, runtime, interpreter, id == 0);
    return out;
}

}  // namespace pyautopsy::runtime
