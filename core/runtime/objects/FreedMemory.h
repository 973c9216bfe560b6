// FreedMemory: what memory freed by CPython's debug allocator looks like.
//
// PYTHONMALLOC=debug (and debug builds) fill a freed block with
// PYMEM_DEADBYTE, 0xDD (docs/cpython-internals.md §8), so memory still referenced after its
// free reads 0xDD... An object counts as freed when its ob_type does: its
// ob_refcnt is not checked, because the use after free may already have
// increfed it (0xDD...DE).
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>

namespace pyautopsy::runtime {

inline constexpr std::uint64_t kDeadWord = 0xddddddddddddddddULL;   // PYMEM_DEADBYTE x 8

// The 16 bytes at `address` (any pointer into a block) read as freed.
bool isFreedMemory(const target::Memory& memory, std::uint64_t address);

// The object at `object` has been freed: its ob_type reads as freed.
bool isFreedObject(const ObjectReader& reader, std::uint64_t object);

}  // namespace pyautopsy::runtime
