#include "runtime/threads/CallsInProgress.h"

#include "runtime/layouts/Field.h"
#include "runtime/objects/ScalarReader.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {
namespace {

// How many stack slots above the callable a call instruction's inputs take,
// from its opcode and oparg; nullopt for an instruction that is not a call.
std::optional<std::size_t> slotsAboveCallable(const BytecodeLayout& b, int opcode, std::uint32_t oparg)
{
    auto in = [&](Offset first, Offset last) { return has(first) && has(last) && opcode >= first && opcode <= last; };
    const bool kw = opcode == b.call_kw || opcode == b.instrumented_call_kw ||
                    in(b.call_kw_specialized_first, b.call_kw_specialized_last);
    const bool ex = opcode == b.call_function_ex || opcode == b.instrumented_call_function_ex ||
                    in(b.call_ex_specialized_first, b.call_ex_specialized_last);
    if (kw) return std::size_t{2} + oparg;   // self or NULL, the args, the keyword names
    if (ex) return std::size_t{3};           // NULL, the args tuple, the kwargs dict or NULL
    if (opcode == b.call || opcode == b.instrumented_call || in(b.call_specialized_first, b.call_specialized_last))
        return std::size_t{1} + oparg;       // self or NULL, the args
    return std::nullopt;
}

class CallReader {
public:
    CallReader(const ObjectReader& reader, ValueStackReader& stacks, ObjectRepr& repr)
        : m_reader(reader), m_stacks(stacks), m_repr(repr)
    {
    }

    std::optional<std::string> calling(const snapshot::Frame& frame)
    {
        const auto& L = m_reader.runtime().layout;
        const auto& memory = m_reader.memory();
        const ValueStack stack = m_stacks.read(*frame.address, *frame.codeAddress);
        if (!stack.exactTop) return std::nullopt;
        const std::uint64_t instr = readPointerField(memory, *frame.address, L.interpreterFrame.instr_ptr);
        std::uint8_t unit[4] = {};   // the instruction and the code unit before it (an EXTENDED_ARG?)
        memory.readBytes(instr - 2, unit, sizeof unit);
        std::uint32_t oparg = unit[3];
        if (unit[0] == L.bytecode.extended_arg) oparg |= std::uint32_t{unit[1]} << 8;
        const auto above = slotsAboveCallable(L.bytecode, unit[2], oparg);
        if (!above || stack.slots.size() <= *above) return std::nullopt;
        const std::size_t at = stack.slots.size() - 1 - *above;
        const std::uint64_t callable = stack.slots[at];
        const std::uint64_t self = stack.slots[at + 1];
        if (callable == 0) return std::nullopt;
        const auto type = m_reader.typeNameOf(callable);
        if (!type || *type == "function" || *type == "method") return std::nullopt;   // Python code: its own frame
        if (*type == "method_descriptor" && self != 0 && has(L.object.descr_name)) {
            // LOAD_ATTR left the unbound C method and its instance: shown bound, as the call sees it.
            const std::uint64_t name = readPointerField(memory, callable, L.object.descr_name);
            auto text = name ? readStrUtf8(m_reader, name, m_reader.limits().maxStringBytes) : std::nullopt;
            auto selfType = m_reader.typeNameOf(self);
            if (text && selfType) return fmt::format("<built-in method {} of {} object at {:#x}>", *text, *selfType, self);
        }
        return m_repr.repr(callable);
    }

private:
    const ObjectReader& m_reader;
    ValueStackReader& m_stacks;
    ObjectRepr& m_repr;
};

}  // namespace

void addCallsInProgress(const ObjectReader& reader, ValueStackReader& stacks, ObjectRepr& repr,
                        snapshot::Thread& thread)
{
    const auto& rt = reader.runtime();
    if (rt.caps.stackTop != StackTopModel::StackPointer) return;
    CallReader calls(reader, stacks, repr);
    // A release build leaves the stack pointer of the last escaping call
    // behind (only debug builds clear it), so the innermost frame's is the
    // call in progress only when the thread is surely inside one: it released
    // the GIL. A frame whose newer frame was started from C is inside its call.
    using snapshot::AttachState;
    bool newerStartedFromC = rt.version.debug || thread.attachState == AttachState::Detached ||
                             thread.attachState == AttachState::DetachedWaiting;
    for (auto& frame : thread.frames) {
        if (frame.kind != snapshot::FrameKind::Python) continue;
        const bool look = newerStartedFromC;
        newerStartedFromC = frame.entry;
        if (!look || !frame.address || !frame.codeAddress) continue;
        try {
            frame.calling = calls.calling(frame);
        } catch (const target::MemoryFault&) {
            frame.calling.reset();
        }
    }
}

}  // namespace pyautopsy::runtime
