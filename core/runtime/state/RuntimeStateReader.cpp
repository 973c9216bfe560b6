#include "runtime/state/RuntimeStateReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

}  // namespace

void readRuntimeFinalization(const ObjectReader& reader, snapshot::RuntimeState& out)
{
    const auto& memory = reader.memory();
    const Runtime& rt = reader.runtime();
    const auto& L = rt.layout.runtime;
    out.immortalObjects = rt.caps.immortalObjects;
    try {
        if (has(L.initialized)) out.initialized = readField<std::int32_t>(memory, rt.address, L.initialized) != 0;
        if (has(L.core_initialized))
            out.coreInitialized = readField<std::int32_t>(memory, rt.address, L.core_initialized) != 0;
        if (has(L.finalizing)) {
            // 3.8 a plain pointer, 3.9-3.12 an atomic wrapper around one: 8 bytes either way.
            std::uint64_t tstate = readPointerField(memory, rt.address, L.finalizing);
            out.finalizing = tstate != 0;
            if (tstate != 0) out.finalizingThreadState = tstate;
        }
        if (has(L.finalizing_id)) {
            auto ident = readField<std::uint64_t>(memory, rt.address, L.finalizing_id);
            if (ident != 0) {
                out.finalizingThreadId = ident;
                out.finalizingThreadIdFrom = "_PyRuntime._finalizing_id";
            }
        }
        if (!out.finalizingThreadId && out.finalizingThreadState) {
            // <= 3.11 records only the thread state; it is the finalizing thread's
            // own and stays allocated until the very end of Py_FinalizeEx.
            std::uint64_t ident = 0;
            if (memory.readSome(fieldAddress(*out.finalizingThreadState, rt.layout.thread.thread_id), &ident, sizeof ident) ==
                    sizeof ident &&
                ident != 0) {
                out.finalizingThreadId = ident;
                out.finalizingThreadIdFrom = "thread state";
            }
        }
        if (has(L.nexitfuncs)) {
            auto count = readField<std::int32_t>(memory, rt.address, L.nexitfuncs);
            if (count >= 0 && count <= 1024) {
                out.cAtexitCount = count;
            } else {
                out.notes.push_back(fmt::format("Py_AtExit count {} is not plausible", count));
            }
        }
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("runtime state unreadable: {}", fault.what()));
    }
}

void readInterpreterFinalization(const ObjectReader& reader, std::uint64_t interp,
                                 snapshot::InterpreterRuntimeState& out)
{
    const auto& memory = reader.memory();
    const auto& L = reader.runtime().layout;
    try {
        if (has(L.interpreter.finalizing))
            out.finalizing = readField<std::int32_t>(memory, interp, L.interpreter.finalizing) != 0;
        if (has(L.interpreter._finalizing)) {
            std::uint64_t tstate = readPointerField(memory, interp, L.interpreter._finalizing);
            if (tstate != 0) out.finalizingThreadState = tstate;
        }
        if (has(L.interpreter._finalizing_id)) {
            auto ident = readField<std::uint64_t>(memory, interp, L.interpreter._finalizing_id);
            if (ident != 0) out.finalizingThreadId = ident;
        }
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("interpreter finalization flags unreadable: {}", fault.what()));
    }
    try {
        if (has(L.interpreter.modules)) {
            std::uint64_t modules = readPointerField(memory, interp, L.interpreter.modules);
            // Cleared (NULL) at the end of module teardown; only a dict has ma_used.
            if (modules != 0 && (reader.typeFlags(reader.typeOf(modules)) & encoding::kTpFlagsDictSubclass) != 0) {
                auto used = readField<std::int64_t>(memory, modules, L.object.dict_used);
                if (used >= 0) out.modulesCount = used;
            } else if (modules == 0) {
                out.notes.push_back("sys.modules is gone (cleared by module teardown)");
            }
        }
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("sys.modules unreadable: {}", fault.what()));
    }
}

void readInterpreterRecursionLimit(const ObjectReader& reader, std::uint64_t interp,
                                   snapshot::InterpreterRuntimeState& out)
{
    const Runtime& rt = reader.runtime();
    std::uint64_t address = 0;
    const char* from = nullptr;
    if (has(rt.layout.interpreter.recursion_limit)) {
        address = fieldAddress(interp, rt.layout.interpreter.recursion_limit);
        from = "interp->ceval.recursion_limit";
    } else if (has(rt.layout.runtime.recursion_limit)) {
        address = fieldAddress(rt.address, rt.layout.runtime.recursion_limit);
        from = "_PyRuntime.ceval.recursion_limit";
    }
    if (from == nullptr) return;
    std::int32_t limit = 0;
    if (reader.memory().readSome(address, &limit, sizeof limit) != sizeof limit) {
        out.notes.push_back(fmt::format("recursion limit unreadable at {:#x} ({})", address, from));
        return;
    }
    if (limit <= 0) {
        out.notes.push_back(fmt::format("recursion limit {} read from {} is not plausible", limit, from));
        return;
    }
    out.recursionLimit = limit;
    out.recursionLimitFrom = from;
}

}  // namespace pyautopsy::runtime
