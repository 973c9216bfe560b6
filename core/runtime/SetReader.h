// SetReader: the items of a set or frozenset, in table order (the order
// CPython iterates them).
//
// The table has mask+1 slots of {key, hash}; an empty slot has key NULL and
// a removed one hash -1 (the dummy key). Reads throw target::MemoryFault, and
// a header that cannot be right (used > mask+1, an absurd mask) is reported
// as a fault at the set's address.
#pragma once

#include "runtime/ObjectReader.h"

#include <cstdint>
#include <vector>

namespace pyautopsy::runtime {

struct SetItems {
    std::vector<std::uint64_t> keys;
    std::int64_t used = 0;     // len(set), as the set records it
    bool complete = true;      // false: cut at maxItems
};

// At most maxItems keys of the set object `set`.
SetItems readSetItems(const ObjectReader& reader, std::uint64_t set, std::size_t maxItems);

}  // namespace pyautopsy::runtime
