// ContainerItems: the element pointers of a list, tuple, set or frozenset,
// in CPython's iteration order, at most maxItems of them.
//
// One reader of these layouts for every user (reprs, asyncio's WeakSets and
// gather children, atexit lists). Sizes that cannot be right throw
// target::MemoryFault, like unreadable memory does.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <vector>

namespace pyautopsy::runtime {

// `object` must be a list or tuple (or subclass instance); `tuple` says which.
std::vector<std::uint64_t> sequenceItems(const ObjectReader& reader, std::uint64_t object, bool tuple,
                                         std::size_t maxItems);

// `object` must be a set or frozenset (or subclass instance): table order,
// skipping empty and deleted slots.
std::vector<std::uint64_t> setItems(const ObjectReader& reader, std::uint64_t object, std::size_t maxItems);

}  // namespace pyautopsy::runtime
