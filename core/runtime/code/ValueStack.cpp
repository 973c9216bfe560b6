#include "runtime/code/ValueStack.h"

#include "runtime/code/ExceptionTable.h"
#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"

#include <algorithm>

namespace pyautopsy::runtime {
namespace {

}  // namespace

const ValueStackReader::CodeFacts& ValueStackReader::factsOf(std::uint64_t code)
{
    if (auto it = m_codes.find(code); it != m_codes.end()) return it->second;
    const auto& c = m_reader.runtime().layout.code;
    const auto& memory = m_reader.memory();
    CodeFacts facts;
    auto stackSize = readField<std::int32_t>(memory, code, c.co_stacksize);
    facts.stackSize = static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(stackSize, 0, static_cast<std::int64_t>(m_reader.limits().maxContainerItems)));
    if (has(c.co_nlocalsplus)) {
        auto localsPlus = readField<std::int32_t>(memory, code, c.co_nlocalsplus);
        facts.localsPlus = static_cast<std::uint32_t>(std::max(0, localsPlus));
    }
    if (has(c.co_exceptiontable)) {
        if (auto table = m_reader.readBytes(readPointerField(memory, code, c.co_exceptiontable),
                                            m_reader.limits().maxLineTableBytes))
            facts.exceptionTable = std::move(*table);
    }
    if (has(c.co_code_adaptive)) facts.bytecode = fieldAddress(code, c.co_code_adaptive);
    return m_codes.emplace(code, std::move(facts)).first->second;
}

std::vector<std::uint64_t> ValueStackReader::readSlots(std::uint64_t base, std::size_t count) const
{
    std::vector<std::uint64_t> slots(count);
    if (count != 0) m_reader.memory().readBytes(base, slots.data(), count * sizeof(std::uint64_t));
    if (m_reader.runtime().caps.codeRef == CodeRefModel::StackRef) {
        for (auto& slot : slots) slot = encoding::decodeStackRef(slot).object;
    }
    return slots;
}

void ValueStackReader::readFrameObject(std::uint64_t frame, const CodeFacts& code, bool wholeStack,
                                       ValueStack& out) const
{
    const auto& rt = m_reader.runtime();
    const auto& f = rt.layout.frameObject;
    const auto& memory = m_reader.memory();
    std::uint64_t base = readPointerField(memory, frame, f.f_valuestack);
    if (base == 0) return;

    std::size_t depth = code.stackSize;
    const bool useRecordedTop = !wholeStack;
    if (useRecordedTop && rt.caps.stackTop == StackTopModel::FrameStackTop && has(f.f_stacktop)) {
        std::uint64_t top = readPointerField(memory, frame, f.f_stacktop);
        if (top >= base && (top - base) / 8 <= code.stackSize) {
            depth = (top - base) / 8;
            out.exactTop = true;
        }
    } else if (useRecordedTop && rt.caps.stackTop == StackTopModel::FrameStackDepth && has(f.f_stackdepth)) {
        auto recorded = readField<std::int32_t>(memory, frame, f.f_stackdepth);
        if (recorded >= 0 && static_cast<std::uint32_t>(recorded) <= code.stackSize) {
            depth = static_cast<std::size_t>(recorded);
            out.exactTop = true;
        }
    }
    out.slots = readSlots(base, depth);

    // Each open block keeps the depth it restores; the deepest bounds the live bottom.
    if (!has(f.f_iblock) || !has(f.f_blockstack) || !has(f.tryblock_size) || !has(f.tryblock_level)) return;
    auto blocks = readField<std::int32_t>(memory, frame, f.f_iblock);
    blocks = std::clamp(blocks, 0, has(f.blockstack_capacity) ? f.blockstack_capacity : 0);
    for (std::int32_t i = 0; i < blocks; ++i) {
        std::uint64_t block = fieldAddress(frame, f.f_blockstack) + static_cast<std::uint64_t>(i) * f.tryblock_size;
        auto level = readField<std::int32_t>(memory, block, f.tryblock_level);
        if (level > 0) out.live = std::max(out.live, static_cast<std::size_t>(level));
    }
    out.live = std::min(out.live, out.slots.size());
}

void ValueStackReader::readInterpreterFrame(std::uint64_t frame, const CodeFacts& code, bool wholeStack,
                                            ValueStack& out) const
{
    const auto& rt = m_reader.runtime();
    const auto& f = rt.layout.interpreterFrame;
    const auto& memory = m_reader.memory();
    std::uint64_t base = fieldAddress(frame, f.localsplus) + std::uint64_t{code.localsPlus} * 8;

    std::size_t depth = code.stackSize;
    const bool useRecordedTop = !wholeStack;
    if (useRecordedTop && rt.caps.stackTop == StackTopModel::StackTopIndex) {
        auto top = readField<std::int32_t>(memory, frame, f.stacktop);
        if (top >= static_cast<std::int64_t>(code.localsPlus) &&
            static_cast<std::uint32_t>(top) - code.localsPlus <= code.stackSize) {
            depth = static_cast<std::uint32_t>(top) - code.localsPlus;
            out.exactTop = true;
        }
    } else if (useRecordedTop && rt.caps.stackTop == StackTopModel::StackPointer) {
        std::uint64_t top = readPointerField(memory, frame, f.stacktop);
        if (top >= base && (top - base) / 8 <= code.stackSize) {
            depth = (top - base) / 8;
            out.exactTop = true;
        }
    }
    out.slots = readSlots(base, depth);

    // The handler of the current instruction restores `depth`: the slots below it are live.
    std::uint64_t instr = readPointerField(memory, frame, f.instr_ptr);
    if (code.bytecode == 0 || instr < code.bytecode) return;
    std::uint64_t unit = (instr - code.bytecode) / 2;
    if (unit > UINT32_MAX) return;
    if (auto handler = handlerAt(code.exceptionTable, static_cast<std::uint32_t>(unit)))
        out.live = std::min<std::size_t>(handler->depth, out.slots.size());
}

ValueStack ValueStackReader::read(std::uint64_t frame, std::uint64_t code, bool wholeStack)
{
    ValueStack out;
    const CodeFacts& facts = factsOf(code);
    if (m_reader.runtime().caps.frames == FrameModel::FrameObjects)
        readFrameObject(frame, facts, wholeStack, out);
    else
        readInterpreterFrame(frame, facts, wholeStack, out);
    return out;
}

}  // namespace pyautopsy::runtime
