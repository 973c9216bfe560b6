// Field: the one way to read a field of a CPython struct in target memory.
//
// A Layout gives each field's offset, or kAbsent where the version has none.
// fieldAddress() turns (struct address, field) into the field's address;
// readField<T>() and readPointerField() read it whole. An absent field is
// never read at base-1: it throws MemoryFault like unreadable memory, so the
// walker that asked ends with a note instead of reporting a wrong value.
#pragma once

#include "runtime/layouts/Layout.h"
#include "target/Memory.h"

#include <cstdint>
#include <string>

namespace pyautopsy::runtime {

inline std::uint64_t fieldAddress(std::uint64_t base, Offset field)
{
    if (!has(field)) throw target::MemoryFault(base, 0, "a field this CPython version does not have was asked for");
    return base + static_cast<std::uint64_t>(field);
}

template <typename T>
T readField(const target::Memory& memory, std::uint64_t base, Offset field)
{
    return memory.read<T>(fieldAddress(base, field));
}

inline std::uint64_t readPointerField(const target::Memory& memory, std::uint64_t base, Offset field)
{
    return memory.readPointer(fieldAddress(base, field));
}

}  // namespace pyautopsy::runtime
