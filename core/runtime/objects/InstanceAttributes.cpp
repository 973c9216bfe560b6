#include "runtime/objects/InstanceAttributes.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"

#include <cstdlib>

namespace pyautopsy::runtime {
DictItems InstanceAttributes::all(std::uint64_t object, std::size_t maxItems) const
{
    const auto& rt = m_reader.runtime();
    const auto& t = rt.layout.type;
    const auto& memory = m_reader.memory();
    const std::uint64_t type = m_reader.typeOf(object);
    const std::uint64_t flags = m_reader.typeFlags(type);
    auto cachedKeys = [&] { return readPointerField(memory, type, t.ht_cached_keys); };

    if (rt.caps.managedDict != ManagedDictModel::None && (flags & encoding::kTpFlagsManagedDict)) {
        // The managed words sit before the object and its GC header.
        const auto& o = rt.layout.object;
        switch (rt.caps.managedDict) {
        case ManagedDictModel::ValuesBeforeHeader: {
            std::uint64_t values = readPointerField(memory, object, o.managed_values);
            if (values != 0) return m_dicts.splitItems(cachedKeys(), values, maxItems);
            std::uint64_t dict = readPointerField(memory, object, o.managed_dict);
            return dict ? m_dicts.items(dict, maxItems) : DictItems{};
        }
        case ManagedDictModel::TaggedWord: {
            std::uint64_t word = readPointerField(memory, object, o.managed_dict);
            if (encoding::isTaggedValues(word))
                return m_dicts.splitItems(cachedKeys(), encoding::taggedValuesPointer(word), maxItems);
            return word ? m_dicts.items(word, maxItems) : DictItems{};
        }
        case ManagedDictModel::InlineValues: {
            // A materialised dict wins (its ma_values may point at the inline values).
            std::uint64_t dict = readPointerField(memory, object, o.managed_dict);
            if (dict != 0) return m_dicts.items(dict, maxItems);
            if ((flags & encoding::kTpFlagsInlineValues) == 0) return {};
            auto basicSize = readField<std::int64_t>(memory, type, t.tp_basicsize);
            if (basicSize <= 0 || basicSize > (1 << 20)) return DictItems{{}, false};
            std::uint64_t values = object + static_cast<std::uint64_t>(basicSize);
            if (memory.read<std::uint8_t>(values + 3) == 0) return {};   // `valid`: not in use
            return m_dicts.splitItems(cachedKeys(), values, maxItems);
        }
        case ManagedDictModel::None: break;
        }
    }

    auto offset = readField<std::int64_t>(memory, type, t.tp_dictoffset);
    if (offset == 0) return {};
    if (offset < 0) {
        // Counted from the end of a variable-size object (_PyObject_VAR_SIZE, pointer-aligned).
        auto basicSize = readField<std::int64_t>(memory, type, t.tp_basicsize);
        auto itemSize = readField<std::int64_t>(memory, type, t.tp_itemsize);
        auto size = readField<std::int64_t>(memory, object, rt.layout.object.ob_size);
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
