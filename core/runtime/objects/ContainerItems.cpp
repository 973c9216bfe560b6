#include "runtime/objects/ContainerItems.h"

#include "runtime/layouts/Field.h"

#include <algorithm>

namespace pyautopsy::runtime {
namespace {

constexpr std::uint64_t kMaxSetSlots = 1ULL << 30;

}  // namespace

std::vector<std::uint64_t> sequenceItems(const ObjectReader& reader, std::uint64_t object, bool tuple,
                                         std::size_t maxItems)
{
    const auto& o = reader.runtime().layout.object;
    const auto& memory = reader.memory();
    auto size = readField<std::int64_t>(memory, object, tuple ? o.tuple_size : o.list_size);
    if (size < 0) throw target::MemoryFault(object, 0);
    std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(size), maxItems);
    std::vector<std::uint64_t> items(count);
    std::uint64_t base = tuple ? fieldAddress(object, o.tuple_items) : readPointerField(memory, object, o.list_items);
    if (count) memory.readBytes(base, items.data(), count * sizeof(std::uint64_t));
    return items;
}

std::vector<std::uint64_t> setItems(const ObjectReader& reader, std::uint64_t object, std::size_t maxItems)
{
    const auto& o = reader.runtime().layout.object;
    const auto& memory = reader.memory();
    auto used = readField<std::int64_t>(memory, object, o.set_used);
    auto mask = readField<std::int64_t>(memory, object, o.set_mask);
    std::uint64_t table = readPointerField(memory, object, o.set_table);
    if (used < 0 || mask < 0 || static_cast<std::uint64_t>(mask) >= kMaxSetSlots || used > mask + 1)
        throw target::MemoryFault(object, 0);

    // A setentry is {key, hash}: an empty slot has key NULL, a deleted one hash -1.
    constexpr std::uint64_t kChunk = 256;
    const std::uint64_t slots = static_cast<std::uint64_t>(mask) + 1;
    const auto wanted = std::min<std::uint64_t>(static_cast<std::uint64_t>(used), maxItems);
    std::vector<std::uint64_t> items;
    std::vector<std::uint64_t> chunk;
    for (std::uint64_t first = 0; first < slots && items.size() < wanted; first += kChunk) {
        std::uint64_t n = std::min(kChunk, slots - first);
        chunk.resize(2 * n);
        memory.readBytes(table + first * 16, chunk.data(), n * 16);
        for (std::uint64_t i = 0; i < n && items.size() < wanted; ++i) {
            std::uint64_t key = chunk[2 * i];
            auto hash = static_cast<std::int64_t>(chunk[2 * i + 1]);
            if (key != 0 && hash != -1) items.push_back(key);
        }
    }
    return items;
}

}  // namespace pyautopsy::runtime
