#include "runtime/threads/LocalsReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ScalarReader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace pyautopsy::runtime {

std::vector<LocalsReader::Slot> LocalsReader::readSlots(std::uint64_t code)
{
    const auto& c = m_reader.runtime().layout.code;
    const auto& memory = m_reader.memory();
    const std::size_t maxName = m_reader.limits().maxStringBytes;
    std::vector<Slot> slots;
    auto names = [&](Offset offset) {
        return m_reader.readTupleItems(readPointerField(memory, code, offset)).value_or(std::vector<std::uint64_t>{});
    };
    auto nameOf = [&](std::uint64_t object) { return readStrUtf8(m_reader, object, maxName).value_or("?"); };

    if (has(c.co_localsplusnames)) {
        auto all = names(c.co_localsplusnames);
        auto kinds = m_reader.readBytes(readPointerField(memory, code, c.co_localspluskinds), all.size());
        if (!kinds || kinds->size() != all.size()) return slots;
        for (std::size_t i = 0; i < all.size(); ++i) {
            const auto kind = encoding::decodeLocalKind((*kinds)[i]);
            slots.push_back({nameOf(all[i]), kind.cell, kind.hidden});
        }
        return slots;
    }
    for (std::uint64_t name : names(c.co_varnames)) slots.push_back({nameOf(name), false, false});
    for (std::uint64_t name : names(c.co_cellvars)) slots.push_back({nameOf(name), true, false});
    for (std::uint64_t name : names(c.co_freevars)) slots.push_back({nameOf(name), true, false});
    return slots;
}

const std::vector<LocalsReader::Slot>& LocalsReader::slotsOf(std::uint64_t code)
{
    if (auto it = m_slots.find(code); it != m_slots.end()) return it->second;
    // A code object whose names cannot be read throws to the frame's caller,
    // which notes it: no locals must not look like a frame without locals.
    return m_slots.emplace(code, readSlots(code)).first->second;
}

std::vector<LocalValue> LocalsReader::values(std::uint64_t frame, std::uint64_t code, std::vector<std::string>* unbound)
{
    const auto& rt = m_reader.runtime();
    const auto& memory = m_reader.memory();
    const auto& slots = slotsOf(code);
    std::vector<LocalValue> out;
    if (slots.empty()) return out;

    const Offset base = has(rt.layout.code.co_localsplusnames) ? rt.layout.interpreterFrame.localsplus
                                                               : rt.layout.frameObject.f_localsplus;
    std::vector<std::uint64_t> words(slots.size());
    memory.readBytes(fieldAddress(frame, base), words.data(), words.size() * sizeof(std::uint64_t));

    std::set<std::string> shown;
    std::vector<std::string> empty;   // slots with no value, in slot order
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const Slot& slot = slots[i];
        std::uint64_t value = words[i];
        if (slot.hidden) continue;
        if (rt.caps.codeRef == CodeRefModel::StackRef) {
            const auto ref = encoding::decodeStackRef(value);
            if (ref.taggedInt) {
                if (shown.insert(slot.name).second) out.push_back({slot.name, 0, ref.taggedInt});
                continue;
            }
            value = ref.object;
        }
        if (value == 0) {   // unbound
            empty.push_back(slot.name);
            continue;
        }
        if (slot.cell && m_repr.isCell(value)) {
            value = readPointerField(memory, value, rt.layout.object.cell_ref);
            if (value == 0) {   // empty cell: unbound
                empty.push_back(slot.name);
                continue;
            }
        }
        // <= 3.10 lists an argument that is also a cell twice; its local slot is NULL.
        if (!shown.insert(slot.name).second) continue;
        out.push_back({slot.name, value, std::nullopt});
    }
    if (unbound != nullptr) {
        // <= 3.10 lists an argument that is also a cell twice: bound in one slot is bound.
        for (auto& name : empty)
            if (!shown.contains(name) && std::find(unbound->begin(), unbound->end(), name) == unbound->end())
                unbound->push_back(std::move(name));
    }
    return out;
}

std::vector<snapshot::Local> LocalsReader::read(std::uint64_t frame, std::uint64_t code,
                                                std::vector<std::string>* unbound)
{
    std::vector<snapshot::Local> out;
    for (const auto& value : values(frame, code, unbound)) {
        if (value.taggedInt) {
            out.push_back({value.name, std::to_string(*value.taggedInt), {}});
            continue;
        }
        out.push_back({value.name, m_repr.repr(value.object), {}});
        out.back().freedObjects = m_repr.takeFreed();
    }
    return out;
}

void LocalsReader::addTo(snapshot::Thread& thread)
{
    for (auto& frame : thread.frames) {
        if (frame.kind != snapshot::FrameKind::Python || !frame.address || !frame.codeAddress) continue;
        try {
            frame.locals = read(*frame.address, *frame.codeAddress, &frame.unboundLocals);
        } catch (const target::MemoryFault& fault) {
            thread.notes.push_back(fmt::format("locals of frame {:#x} unreadable: {}", *frame.address, fault.what()));
        }
    }
}

}  // namespace pyautopsy::runtime
