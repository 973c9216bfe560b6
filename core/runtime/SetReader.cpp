#include "runtime/SetReader.h"

#include <algorithm>

namespace pyautopsy::runtime {
namespace {

std::uint64_t at(std::uint64_t base, Offset offset) { return base + static_cast<std::uint64_t>(offset); }

constexpr std::uint64_t kMaxSetSlots = 1ULL << 30;
constexpr std::uint64_t kChunk = 256;   // slots read at once

}  // namespace

SetItems readSetItems(const ObjectReader& reader, std::uint64_t set, std::size_t maxItems)
{
    const auto& o = reader.runtime().layout.object;
    const auto& memory = reader.memory();
    SetItems out;
    out.used = memory.read<std::int64_t>(at(set, o.set_used));
    auto mask = memory.read<std::int64_t>(at(set, o.set_mask));
    std::uint64_t table = memory.readPointer(at(set, o.set_table));
    if (out.used < 0 || mask < 0 || static_cast<std::uint64_t>(mask) >= kMaxSetSlots || out.used > mask + 1)
        throw target::MemoryFault(set, 0);

    const std::uint64_t slots = static_cast<std::uint64_t>(mask) + 1;
    const auto used = static_cast<std::uint64_t>(out.used);
    std::uint64_t seen = 0;
    std::vector<std::uint64_t> chunk;
    for (std::uint64_t first = 0; first < slots && seen < used; first += kChunk) {
        std::uint64_t n = std::min(kChunk, slots - first);
        chunk.resize(2 * n);
        memory.readBytes(table + first * 16, chunk.data(), n * 16);
        for (std::uint64_t i = 0; i < n && seen < used; ++i) {
            std::uint64_t key = chunk[2 * i];
            auto hash = static_cast<std::int64_t>(chunk[2 * i + 1]);
            if (key == 0 || hash == -1) continue;
            ++seen;
            if (out.keys.size() >= maxItems) {
                out.complete = false;
                return out;
            }
            out.keys.push_back(key);
        }
    }
    return out;
}

}  // namespace pyautopsy::runtime
