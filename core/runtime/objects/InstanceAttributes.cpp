#include "runtime/objects/InstanceAttributes.h"

#include <cstdlib>

namespace pyautopsy::runtime {
namespace {

std::uint64_t at(std::uint64_t base, Offset offset) { return base + static_cast<std::uint64_t>(offset); }

constexpr std::uint64_t kTpFlagsInlineValues = 1ULL << 2;   // 3.13+
constexpr std::uint64_t kTpFlagsManagedDict = 1ULL << 4;    // 3.11+

}  // namespace

DictItems InstanceAttributes::all(std::uint64_t object, std::size_t maxItems) const
{
    const auto& rt = m_reader.runtime();
    const auto& t = rt.layout.type;
    const auto& memory = m_reader.memory();
    const std::uint64_t type = m_reader.typeOf(object);
    const std::uint64_t flags = m_reader.typeFlags(type);
    auto cachedKeys = [&] { return memory.readPointer(at(type, t.ht_cached_keys)); };

    if (rt.caps.managedDict != ManagedDictModel::None && (flags & kTpFlagsManagedDict)) {
        // The managed words sit before the object and its GC header.
        const auto& o = rt.layout.object;
        switch (rt.caps.managedDict) {
        case ManagedDictModel::ValuesBeforeHeader: {
            std::uint64_t values = memory.readPointer(at(object, o.managed_values));
            if (values != 0) return m_dicts.splitItems(cachedKeys(), values, maxItems);
            std::uint64_t dict = memory.readPointer(at(object, o.managed_dict));
            return dict ? m_dicts.items(dict, maxItems) : DictItems{};
        }
        case ManagedDictModel::TaggedWord: {
            std::uint64_t word = memory.readPointer(at(object, o.managed_dict));
            if (word & 1) return m_dicts.splitItems(cachedKeys(), word + 1, maxItems);
            return word ? m_dicts.items(word, maxItems) : DictItems{};
        }
        case ManagedDictModel::InlineValues: {
            // A materialised dict wins (its ma_values may point at the inline values).
            std::uint64_t dict = memory.readPointer(at(object, o.managed_dict));
            if (dict != 0) return m_dicts.items(dict, maxItems);
            if ((flags & kTpFlagsInlineValues) == 0) return {};
            auto basicSize = memory.read<std::int64_t>(at(type, t.tp_basicsize));
            if (basicSize <= 0 || basicSize > (1 << 20)) return DictItems{{}, false};
            std::uint64_t values = object + static_cast<std::uint64_t>(basicSize);
            if (memory.read<std::uint8_t>(values + 3) == 0) return {};   // `valid`: not in use
            return m_dicts.splitItems(cachedKeys(), values, maxItems);
        }
        case ManagedDictModel::None: break;
        }
    }

    auto offset = memory.read<std::int64_t>(at(type, t.tp_dictoffset));
    if (offset == 0) return {};
    if (offset < 0) {
        // Counted from the end of a variable-size object (_PyObject_VAR_SIZE, pointer-aligned).
        auto basicSize = memory.read<std::int64_t>(at(type, t.tp_basicsize));
        auto itemSize = memory.read<std::int64_t>(at(type, t.tp_itemsize));
        auto size = memory.read<std::int64_t>(at(object, rt.layout.object.ob_size));
        std::int64_t total = basicSize + std::llabs(size) * itemSize;
        total = (total + 7) & ~std::int64_t{7};
        offset += total;
        if (offset <= 0) return {{}, false};
    }
    if (offset > (1 << 20)) return {{}, false};
    std::uint64_t dict = memory.readPointer(object + static_cast<std::uint64_t>(offset));
    return dict ? m_dicts.items(dict, maxItems) : DictItems{};
}

std::optional<std::uint64_t> InstanceAttributes::find(std::uint64_t object, std::string_view name) const
{
    return m_dicts.findStr(all(object, m_reader.limits().maxContainerItems), name);
}

}  // namespace pyautopsy::runtime
