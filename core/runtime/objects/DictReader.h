// DictReader: a dict's items in iteration (insertion) order.
//
// Handles every keys layout (<= 3.10 dk_size and 24-byte entries; 3.11+
// dk_log2_size/dk_kind with 16-byte entries for str-keyed and split tables)
// and every split-values layout (plain array; 3.11-3.12 with order bytes
// before it; 3.13+ struct _dictvalues with order bytes after it), so the
// same reader serves dicts and the shared-key attribute storage of instances.
// Reads throw target::MemoryFault; sizes that cannot be right end the walk.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pyautopsy::runtime {

struct DictItem {
    std::uint64_t key = 0;
    std::uint64_t value = 0;
};

struct DictItems {
    std::vector<DictItem> items;
    bool complete = true;      // false: cut at maxItems or stopped at an inconsistency
};

class DictReader {
public:
    explicit DictReader(const ObjectReader& reader) : m_reader(reader) {}

    // The items of the dict object `dict`, at most maxItems.
    DictItems items(std::uint64_t dict, std::size_t maxItems) const;

    // Items of shared keys `keys` with the split values block `values` (the
    // address ma_values would hold; for 3.13+ a struct _dictvalues).
    DictItems splitItems(std::uint64_t keys, std::uint64_t values, std::size_t maxItems) const;

    // The value under the str key `name` in a dict object (by comparing key
    // text, no hashing); nullopt if absent or unreadable.
    std::optional<std::uint64_t> findStr(std::uint64_t dict, std::string_view name) const;
    std::optional<std::uint64_t> findStr(const DictItems& items, std::string_view name) const;

private:
    struct Keys {
        std::uint64_t entries = 0;       // address of entry 0
        encoding::DictEntryShape shape;
        std::uint64_t count = 0;         // dk_nentries
    };
    std::optional<Keys> keysOf(std::uint64_t keys) const;
    std::vector<std::uint8_t> splitOrder(std::uint64_t values, std::uint64_t& valueArray) const;

    const ObjectReader& m_reader;
};

}  // namespace pyautopsy::runtime
