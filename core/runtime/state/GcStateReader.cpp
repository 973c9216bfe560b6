#include "runtime/state/GcStateReader.h"

#include "runtime/layouts/Field.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

snapshot::GcGeneration readGeneration(const target::Memory& memory, const GcLayout& g, std::uint64_t address,
                                      int index)
{
    snapshot::GcGeneration gen;
    gen.index = index;
    gen.threshold = readField<std::int32_t>(memory, address, g.generation_threshold);
    gen.count = readField<std::int32_t>(memory, address, g.generation_count);
    return gen;
}

}  // namespace

std::optional<std::uint64_t> gcStateAddress(const Runtime& runtime, std::uint64_t interp, bool mainInterpreter)
{
    const auto& L = runtime.layout;
    if (has(L.interpreter.gc)) return fieldAddress(interp, L.interpreter.gc);
    if (has(L.runtime.gc) && mainInterpreter) return fieldAddress(runtime.address, L.runtime.gc);
    return std::nullopt;
}

std::optional<snapshot::GcState> readGcState(const ObjectReader& reader, FrameWalker& frames, std::uint64_t interp,
                                             bool mainInterpreter)
{
    const auto& memory = reader.memory();
    const Runtime& rt = reader.runtime();
    const auto& L = rt.layout;
    const GcLayout& g = L.gc;

    const auto address = gcStateAddress(rt, interp, mainInterpreter);
    if (!address) return std::nullopt;
    const std::uint64_t gc = *address;

    snapshot::GcState state;
    if (!has(L.interpreter.gc)) state.notes.push_back("this version has one GC state for the whole process");
    if (!has(g.generation_size) || !has(g.generation_count) || !has(g.generation_threshold)) {
        state.notes.push_back("no layout for this version's GC generations");
        return state;
    }
    try {
        if (has(g.enabled)) state.enabled = readField<std::int32_t>(memory, gc, g.enabled) != 0;
        if (has(g.collecting)) state.collecting = readField<std::int32_t>(memory, gc, g.collecting) != 0;
        const auto stride = static_cast<std::uint64_t>(g.generation_size);
        if (has(g.generations)) {
            state.kind = "generational";
            for (int i = 0; i < 3; ++i)
                state.generations.push_back(readGeneration(memory, g, fieldAddress(gc, g.generations) + stride * i, i));
        } else if (has(g.young) && has(g.old)) {
            // The incremental collector: one young generation, two old spaces.
            state.kind = "incremental";
            state.generations.push_back(readGeneration(memory, g, fieldAddress(gc, g.young), 0));
            for (int i = 0; i < 2; ++i)
                state.generations.push_back(readGeneration(memory, g, fieldAddress(gc, g.old) + stride * i, i + 1));
        } else {
            state.notes.push_back("no layout for this version's GC generations");
        }
        if (has(g.frame) && state.collecting.value_or(false)) {
            std::uint64_t frame = readPointerField(memory, gc, g.frame);
            if (frame != 0) {
                state.collectingFrame = frame;
                FrameWalk walk = frames.walkFrom(frame);
                if (!walk.frames.empty()) state.collectingFunction = walk.frames.front().function;
            }
        }
    } catch (const target::MemoryFault& fault) {
        state.notes.push_back(fmt::format("GC state unreadable: {}", fault.what()));
    }
    return state;
}

}  // namespace pyautopsy::runtime
