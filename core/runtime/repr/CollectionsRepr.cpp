// ObjectRepr's renderers for collections' own types: OrderedDict, defaultdict
// and deque (C types in Objects/odictobject.c and Modules/_collectionsmodule.c)
// and Counter (whose __repr__ is Python code). Each uses the type's short
// name, so a subclass shows its own: `MyDeque([1])`.
#include "runtime/repr/ObjectRepr.h"

#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace pyautopsy::runtime {

// In the order of the OrderedDict's own linked list (move_to_end() changes it,
// not the dict's): "OrderedDict({'a': 1})" from 3.12, "OrderedDict([('a', 1)])"
// before, "OrderedDict()" when empty.
bool ObjectRepr::renderOrderedDict(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& rt = m_reader.runtime();
    const auto& o = rt.layout.object;
    const auto& memory = m_reader.memory();
    const auto& limits = m_reader.limits();
    if (!has(o.odict_first) || !has(o.odictnode_key) || !has(o.odictnode_next)) return false;
    const DictItems items = DictReader(m_reader).items(object, limits.maxContainerItems);
    std::unordered_map<std::uint64_t, std::uint64_t> values;
    for (const auto& item : items.items) values.emplace(item.key, item.value);

    const std::size_t limit = std::min(limits.maxContainerItems, limits.maxReprLength + 1);
    std::vector<DictItem> ordered;
    std::uint64_t node = readPointerField(memory, object, o.odict_first);
    for (; node != 0 && ordered.size() < limit; node = readPointerField(memory, node, o.odictnode_next)) {
        const std::uint64_t key = readPointerField(memory, node, o.odictnode_key);
        const auto value = values.find(key);
        if (value == values.end()) break;   // past what the dict read holds
        ordered.push_back({key, value->second});
    }
    const bool cut = node != 0;
    const std::string name = shortName(info.name);
    if (ordered.empty() && !cut) {
        out += name + "()";
        return true;
    }
    const bool asDict = rt.version.atLeast(3, 12);   // odict_repr: a dict display since 3.12, pairs before
    out += name + (asDict ? "({" : "([");
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        if (full(out)) break;
        if (i) out += ", ";
        if (!asDict) out += '(';
        render(ordered[i].key, depth + 1, out);
        out += asDict ? ": " : ", ";
        render(ordered[i].value, depth + 1, out);
        if (!asDict) out += ')';
    }
    if (cut || full(out)) {
        m_cut = true;
        return true;
    }
    out += asDict ? "})" : "])";
    return true;
}

// "defaultdict(<class 'list'>, {'a': [1]})"; "None" for no default factory.
bool ObjectRepr::renderDefaultDict(std::uint64_t object, const TypeInfo& info, std::size_t depth, bool elideDict,
                                   std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    if (!has(o.defaultdict_factory)) return false;
    const std::uint64_t factory = readPointerField(m_reader.memory(), object, o.defaultdict_factory);
    out += shortName(info.name) + "(";
    if (factory == 0) out += "None";
    else render(factory, depth + 1, out);
    out += ", ";
    if (elideDict) out += "{...}";
    else renderDict(object, depth, out);
    out += ")";
    return true;
}

// "deque([1, 2])", "deque([1], maxlen=3)": the items block by block from the
// left end, as iteration goes.
bool ObjectRepr::renderDeque(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    const auto& limits = m_reader.limits();
    if (!has(o.deque_leftblock) || !has(o.dequeblock_length)) return false;
    const auto size = readField<std::int64_t>(memory, object, o.ob_size);
    const auto maxlen = readField<std::int64_t>(memory, object, o.deque_maxlen);
    std::int64_t index = readField<std::int64_t>(memory, object, o.deque_leftindex);
    std::uint64_t block = readPointerField(memory, object, o.deque_leftblock);
    const std::int64_t blockLength = o.dequeblock_length;
    if (size < 0 || blockLength <= 0 || index < 0 || index >= blockLength) return false;

    const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(size),
                                                    std::min(limits.maxContainerItems, limits.maxReprLength + 1));
    std::vector<std::uint64_t> items;
    std::vector<std::uint64_t> data(static_cast<std::size_t>(blockLength));
    while (items.size() < count) {   // each block yields at least one item: bounded by count
        if (block == 0) return false;
        memory.readBytes(fieldAddress(block, o.dequeblock_data), data.data(), data.size() * sizeof(std::uint64_t));
        for (; index < blockLength && items.size() < count; ++index) items.push_back(data[static_cast<std::size_t>(index)]);
        if (items.size() < count) {
            block = readPointerField(memory, block, o.dequeblock_rightlink);
            index = 0;
        }
    }
    out += shortName(info.name) + "([";
    renderItems(items, depth, out);
    if (count < static_cast<std::size_t>(size)) {
        m_cut = true;
        return true;
    }
    out += ']';
    if (maxlen >= 0) out += fmt::format(", maxlen={}", maxlen);
    out += ')';
    return true;
}

// Counter.__repr__: "Counter()" when empty, else the items most common first
// (a stable sort, as most_common() is). Counts that are not all ints readable
// as 64-bit values are shown in insertion order instead.
bool ObjectRepr::renderCounter(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& limits = m_reader.limits();
    DictItems items = DictReader(m_reader).items(object, std::min(limits.maxContainerItems, limits.maxReprLength + 1));
    const std::string name = shortName(info.name);
    if (items.items.empty() && items.complete) {
        out += name + "()";
        return true;
    }
    // Sorting needs every count; a cut dict is shown as read.
    if (items.complete) {
        std::vector<std::pair<std::int64_t, DictItem>> counted;
        for (const auto& item : items.items) {
            auto count = m_reader.readSmallInt(item.value);
            if (!count) break;
            counted.emplace_back(*count, item);
        }
        if (counted.size() == items.items.size()) {
            std::stable_sort(counted.begin(), counted.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
            for (std::size_t i = 0; i < counted.size(); ++i) items.items[i] = counted[i].second;
        }
    }
    out += name + "({";
    for (std::size_t i = 0; i < items.items.size(); ++i) {
        if (full(out)) break;
        if (i) out += ", ";
        render(items.items[i].key, depth + 1, out);
        out += ": ";
        render(items.items[i].value, depth + 1, out);
    }
    if (!items.complete || full(out)) {
        m_cut = true;
        return true;
    }
    out += "})";
    return true;
}

}  // namespace pyautopsy::runtime
