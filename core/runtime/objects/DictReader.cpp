#include "runtime/objects/DictReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ScalarReader.h"

#include <algorithm>
#include <cstring>

namespace pyautopsy::runtime {
namespace {

// No real dict has more slots than this; a larger size is garbage.
constexpr std::uint64_t kMaxSlots = std::uint64_t{1} << 32;

}  // namespace

std::optional<DictReader::Keys> DictReader::keysOf(std::uint64_t keys) const
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (keys == 0) return std::nullopt;
    Keys k;
    std::uint64_t slots = 0;
    if (m_reader.runtime().caps.dict == DictModel::Classic) {
        auto size = readField<std::int64_t>(memory, keys, o.dictkeys_size);
        if (size <= 0 || static_cast<std::uint64_t>(size) > kMaxSlots) return std::nullopt;
        slots = static_cast<std::uint64_t>(size);
        k.entries = fieldAddress(keys, o.dictkeys_indices) + slots * encoding::classicIndexWidth(slots);
        k.shape = encoding::kClassicDictEntry;
    } else {
        auto log2Size = readField<std::uint8_t>(memory, keys, o.dictkeys_size);
        auto log2IndexBytes = readField<std::uint8_t>(memory, keys, o.dictkeys_log2_index_bytes);
        auto kind = readField<std::uint8_t>(memory, keys, o.dictkeys_kind);
        auto shape = encoding::kindedDictEntry(kind);
        if (log2Size > 32 || log2IndexBytes > 35 || !shape) return std::nullopt;
        slots = std::uint64_t{1} << log2Size;
        k.entries = fieldAddress(keys, o.dictkeys_indices) + (std::uint64_t{1} << log2IndexBytes);
        k.shape = *shape;
    }
    auto count = readField<std::int64_t>(memory, keys, o.dictkeys_nentries);
    if (count < 0 || static_cast<std::uint64_t>(count) > slots) return std::nullopt;
    k.count = static_cast<std::uint64_t>(count);
    return k;
}

std::vector<std::uint8_t> DictReader::splitOrder(std::uint64_t values, std::uint64_t& valueArray) const
{
    const auto& rt = m_reader.runtime();
    const auto& memory = m_reader.memory();
    std::vector<std::uint8_t> order;
    switch (rt.caps.dict) {
    case DictModel::Classic: valueArray = values; break;   // order = entry order; filled by the caller
    case DictModel::KindedKeys: {
        // values[-2] is the number of order bytes, stored downwards from values[-3].
        valueArray = values;
        auto used = memory.read<std::uint8_t>(values - 2);
        std::vector<std::uint8_t> below(used);
        if (used) memory.readBytes(values - 2 - used, below.data(), used);
        order.assign(below.rbegin(), below.rend());
        break;
    }
    case DictModel::DictValues: {
        // struct _dictvalues {capacity, size, embedded, valid; values[capacity]}; order bytes follow.
        valueArray = fieldAddress(values, rt.layout.object.dictvalues_values);
        auto capacity = memory.read<std::uint8_t>(values);
        auto size = memory.read<std::uint8_t>(values + 1);
        if (size > capacity) size = capacity;
        order.resize(size);
        if (size) memory.readBytes(valueArray + capacity * std::uint64_t{8}, order.data(), size);
        break;
    }
    }
    return order;
}

DictItems DictReader::splitItems(std::uint64_t keys, std::uint64_t values, std::size_t maxItems) const
{
    DictItems out;
    const auto& memory = m_reader.memory();
    auto k = keysOf(keys);
    if (!k) {
        out.complete = false;
        return out;
    }
    std::uint64_t valueArray = 0;
    std::vector<std::uint8_t> order = splitOrder(values, valueArray);
    if (m_reader.runtime().caps.dict == DictModel::Classic) {
        for (std::uint64_t i = 0; i < k->count && i < 256; ++i) order.push_back(static_cast<std::uint8_t>(i));
    }
    for (std::uint8_t index : order) {
        if (index >= k->count) continue;
        std::uint64_t value = memory.readPointer(valueArray + index * std::uint64_t{8});
        std::uint64_t key = memory.readPointer(k->entries + index * k->shape.size + k->shape.keyOffset);
        if (key == 0 || value == 0) continue;
        if (out.items.size() >= maxItems) {
            out.complete = false;
            break;
        }
        out.items.push_back({key, value});
    }
    return out;
}

DictItems DictReader::items(std::uint64_t dict, std::size_t maxItems) const
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    std::uint64_t keys = readPointerField(memory, dict, o.dict_keys);
    std::uint64_t values = readPointerField(memory, dict, o.dict_values);
    auto used = readField<std::int64_t>(memory, dict, o.dict_used);
    if (used == 0) return {};
    if (values != 0) return splitItems(keys, values, maxItems);

    DictItems out;
    auto k = keysOf(keys);
    if (!k) {
        out.complete = false;
        return out;
    }
    // Read the entries in chunks: one target read per chunk, not per entry.
    constexpr std::uint64_t kChunk = 256;
    std::vector<std::uint8_t> chunk;
    for (std::uint64_t first = 0; first < k->count; first += kChunk) {
        std::uint64_t n = std::min(kChunk, k->count - first);
        chunk.resize(n * k->shape.size);
        memory.readBytes(k->entries + first * k->shape.size, chunk.data(), chunk.size());
        for (std::uint64_t i = 0; i < n; ++i) {
            std::uint64_t key = 0, value = 0;
            std::memcpy(&key, chunk.data() + i * k->shape.size + k->shape.keyOffset, 8);
            std::memcpy(&value, chunk.data() + i * k->shape.size + k->shape.valueOffset, 8);
            if (key == 0 || value == 0) continue;   // deleted entry
            if (out.items.size() >= maxItems) {
                out.complete = false;
                return out;
            }
            out.items.push_back({key, value});
            if (static_cast<std::int64_t>(out.items.size()) >= used) return out;
        }
    }
    return out;
}

std::optional<std::uint64_t> DictReader::findStr(const DictItems& items, std::string_view name) const
{
    // An ASCII name matches only a str of as many code points: most keys are
    // told apart by their header, without reading and decoding their text.
    const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    const auto length = static_cast<std::int64_t>(name.size());
    for (const auto& item : items.items) {
        if ((m_reader.typeFlags(m_reader.typeOf(item.key)) & encoding::kTpFlagsUnicodeSubclass) == 0) continue;
        if (ascii) {
            auto count = readyStrLength(m_reader, item.key);
            if (count && *count != length) continue;
        }
        auto text = readStrUtf8(m_reader, item.key, name.size() + 1);
        if (text && *text == name) return item.value;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> DictReader::findStr(std::uint64_t dict, std::string_view name) const
{
    // An unreadable dict throws: "not there" and "could not look" must not read alike.
    return findStr(items(dict, m_reader.limits().maxContainerItems), name);
}

}  // namespace pyautopsy::runtime
