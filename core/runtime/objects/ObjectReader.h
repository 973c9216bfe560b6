// ObjectReader: decodes CPython objects in target memory into C++ values.
//
// Every read is bounded by Limits and checks the object's type where the type
// matters; a pointer that does not lead to the expected kind of object yields
// nullopt, never a guess. Strings come back as UTF-8.
#pragma once

#include "runtime/discovery/Runtime.h"
#include "runtime/layouts/Encodings.h"
#include "support/Limits.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

class ObjectReader {
public:
    ObjectReader(const target::Memory& memory, const Runtime& runtime, const Limits& limits = kDefaultLimits)
        : m_memory(memory), m_runtime(runtime), m_limits(limits)
    {
    }

    std::uint64_t typeOf(std::uint64_t object) const;
    // tp_name of a type object (read from the binary on disk for static types in cores).
    std::optional<std::string> typeName(std::uint64_t type) const;
    std::optional<std::string> typeNameOf(std::uint64_t object) const { return typeName(typeOf(object)); }
    std::uint64_t typeFlags(std::uint64_t type) const;

    // str -> UTF-8, truncated to maxStringBytes. nullopt if not a str.
    std::optional<std::string> readString(std::uint64_t object) const;
    // bytes -> raw bytes, at most `maxBytes`.
    std::optional<std::vector<std::uint8_t>> readBytes(std::uint64_t object, std::size_t maxBytes) const;
    // int that fits in 64 bits.
    std::optional<std::int64_t> readSmallInt(std::uint64_t object) const;
    // Items of a tuple, at most maxContainerItems.
    std::optional<std::vector<std::uint64_t>> readTupleItems(std::uint64_t object) const;

    bool isCodeObject(std::uint64_t object) const;

    const target::Memory& memory() const { return m_memory; }
    const Runtime& runtime() const { return m_runtime; }
    const Limits& limits() const { return m_limits; }

private:
    const target::Memory& m_memory;
    const Runtime& m_runtime;
    const Limits& m_limits;
};

}  // namespace pyautopsy::runtime
