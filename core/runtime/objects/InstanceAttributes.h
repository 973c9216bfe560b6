// InstanceAttributes: the attributes in an instance's __dict__, wherever the
// version keeps them.
//
// <= 3.10 (and types without a managed dict): the dict pointer at
// obj + tp_dictoffset. 3.11: values pointer at obj-32 (keys are the type's
// ht_cached_keys) or dict at obj-24. 3.12: one tagged word at obj-24.
// 3.13+: dict at obj-24, else values inline at obj + tp_basicsize. Slots and
// descriptors are not attributes here. Reads throw target::MemoryFault.
#pragma once

#include "runtime/objects/DictReader.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace pyautopsy::runtime {

class InstanceAttributes {
public:
    explicit InstanceAttributes(const ObjectReader& reader) : m_reader(reader), m_dicts(reader) {}

    // Every attribute of `object`, in __dict__ order, at most maxItems.
    DictItems all(std::uint64_t object, std::size_t maxItems) const;

    // One attribute by name; nullopt if the instance has no such attribute.
    std::optional<std::uint64_t> find(std::uint64_t object, std::string_view name) const;

private:
    const ObjectReader& m_reader;
    DictReader m_dicts;
};

}  // namespace pyautopsy::runtime
