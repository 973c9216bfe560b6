#include "runtime/threads/CallsInProgress.h"

#include "runtime/code/BytecodeFacts.h"
#include "runtime/code/StackDepth.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ScalarReader.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace pyautopsy::runtime {
namespace {

// The callable a call instruction calls, and the self passed with it (0: none).
struct CallTarget {
    std::uint64_t callable = 0;
    std::uint64_t self = 0;
};

// 3.14+: how many stack slots above the callable a call instruction's inputs
// take, from its opcode and oparg; nullopt for an instruction that is not a call.
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

// Before 3.14: where the call instruction `at` (base opcode, oparg, the depth
// computed before it) keeps its callable among the frame's stack slots.
std::optional<CallTarget> computedCallTarget(const Capabilities& caps, const BytecodeFacts& facts,
                                             const InstructionDepth& at, const std::vector<std::uint64_t>& slots)
{
    const OpcodeRoles& roles = facts.roles;
    std::int64_t depth = at.depth;
    const std::int64_t argc = at.oparg;
    if (roles.precall >= 0 && at.opcode == roles.call) {
        // 3.11's compiler charges the arguments' pops to PRECALL, which at run
        // time leaves the stack as it is for CALL: undo its effect.
        const auto effect = stackEffect(facts, facts.opcodes[roles.precall].next, at.oparg);
        if (!effect) return std::nullopt;
        depth -= *effect;
    }
    auto slot = [&](std::int64_t i) -> std::optional<std::uint64_t> {
        if (i < 0 || i >= depth || static_cast<std::size_t>(i) >= slots.size()) return std::nullopt;
        return slots[static_cast<std::size_t>(i)];
    };
    const int op = at.opcode;
    auto is = [op](int role) { return role >= 0 && op == role; };
    std::optional<std::uint64_t> plain;
    if (is(roles.callFunctionEx)) {
        // The args tuple, the kwargs dict if flags & 1, and a NULL above the callable on 3.13.
        const std::int64_t above = 1 + (at.oparg & 1) + (caps.callExNull == CallExNullModel::Above ? 1 : 0);
        plain = slot(depth - 1 - above);
    } else if (is(roles.callFunction)) {
        plain = slot(depth - 1 - argc);
    } else if (is(roles.callFunctionKw)) {
        plain = slot(depth - 2 - argc);        // the keyword names' tuple on top
    } else if (is(roles.callMethod) || is(roles.precall) || is(roles.call) || is(roles.callKw)) {
        const std::int64_t first = depth - 2 - argc - (is(roles.callKw) ? 1 : 0);
        auto a = slot(first);
        auto b = slot(first + 1);
        if (!a || !b) return std::nullopt;
        if (caps.callSelf == CallSelfModel::CallableFirst) return CallTarget{*a, *b};
        if (*a == 0) return CallTarget{*b, 0};   // [NULL, callable]
        return CallTarget{*a, *b};               // [method, self]
    } else {
        return std::nullopt;
    }
    if (!plain) return std::nullopt;
    return CallTarget{*plain, 0};
}

class CallReader {
public:
    CallReader(const ObjectReader& reader, ValueStackReader& stacks, ObjectRepr& repr)
        : m_reader(reader), m_stacks(stacks), m_repr(repr)
    {
    }

    std::optional<std::string> calling(const snapshot::Frame& frame)
    {
        const bool recorded = m_reader.runtime().caps.stackTop == StackTopModel::StackPointer;
        auto target = recorded ? recordedTarget(frame) : computedTarget(frame);
        return target ? describe(*target) : std::nullopt;
    }

private:
    // The bytecode of a code object as the analysis needs it.
    struct Code {
        std::vector<std::uint8_t> bytes;
        std::vector<ExceptionHandler> handlers;
        std::uint32_t stackSize = 0;
        std::uint64_t firstInstruction = 0;   // 3.11+: where co_code_adaptive starts
        std::optional<std::optional<StackDepths>> depths;   // analysed once, for every frame running it
    };

    // 3.14+: the frame saved its stack pointer for the call.
    std::optional<CallTarget> recordedTarget(const snapshot::Frame& frame)
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
        return CallTarget{stack.slots[at], stack.slots[at + 1]};
    }

    // Before 3.14: the depth at the current instruction, computed from the bytecode.
    std::optional<CallTarget> computedTarget(const snapshot::Frame& frame)
    {
        const auto& rt = m_reader.runtime();
        const BytecodeFacts* facts = bytecodeFacts(rt.version.minor);
        if (facts == nullptr) return std::nullopt;
        Code* code = codeOf(*frame.codeAddress);
        if (code == nullptr) return std::nullopt;
        const auto unit = currentUnit(*frame.address, *code);
        if (!unit) return std::nullopt;
        if (!code->depths) code->depths = analyseStackDepths(*facts, code->bytes, code->handlers, code->stackSize);
        if (!*code->depths) return std::nullopt;
        const auto at = depthAt(**code->depths, *unit);
        if (!at) return std::nullopt;
        const ValueStack stack = m_stacks.read(*frame.address, *frame.codeAddress, true);
        return computedCallTarget(rt.caps, *facts, *at, stack.slots);
    }

    // The code unit of the frame's current instruction's opcode.
    std::optional<std::uint32_t> currentUnit(std::uint64_t frame, const Code& code) const
    {
        const auto& rt = m_reader.runtime();
        const auto& memory = m_reader.memory();
        switch (rt.caps.lasti) {
        case LastiModel::FrameLastiBytes:
        case LastiModel::FrameLastiUnits: {
            const auto lasti = readField<std::int32_t>(memory, frame, rt.layout.frameObject.f_lasti);
            if (lasti < 0) return std::nullopt;   // not started
            if (rt.caps.lasti == LastiModel::FrameLastiUnits) return static_cast<std::uint32_t>(lasti);
            if (lasti % 2 != 0) return std::nullopt;
            return static_cast<std::uint32_t>(lasti / 2);
        }
        case LastiModel::PrevInstr:
        case LastiModel::InstrPtr: {
            const std::uint64_t instr = readPointerField(memory, frame, rt.layout.interpreterFrame.instr_ptr);
            if (instr < code.firstInstruction || (instr - code.firstInstruction) % 2 != 0) return std::nullopt;
            const std::uint64_t unit = (instr - code.firstInstruction) / 2;
            if (unit >= code.bytes.size() / 2) return std::nullopt;
            return static_cast<std::uint32_t>(unit);
        }
        }
        return std::nullopt;
    }

    Code* codeOf(std::uint64_t address)
    {
        if (auto it = m_codes.find(address); it != m_codes.end()) return it->second ? &*it->second : nullptr;
        std::optional<Code> code;
        try {
            code = readCode(address);
        } catch (const target::MemoryFault&) {
            code.reset();
        }
        auto& slot = m_codes[address];
        slot = std::move(code);
        return slot ? &*slot : nullptr;
    }

    std::optional<Code> readCode(std::uint64_t address) const
    {
        const auto& L = m_reader.runtime().layout;
        const auto& memory = m_reader.memory();
        const auto& limits = m_reader.limits();
        Code code;
        if (has(L.code.co_code)) {
            auto bytes = m_reader.readBytes(readPointerField(memory, address, L.code.co_code), limits.maxBytecodeBytes);
            if (!bytes) return std::nullopt;
            code.bytes = std::move(*bytes);
        } else if (has(L.code.co_code_adaptive) && has(L.object.ob_size)) {
            // Py_SIZE of a code object counts its code units.
            const auto units = readField<std::int64_t>(memory, address, L.object.ob_size);
            if (units <= 0 || static_cast<std::uint64_t>(units) > limits.maxBytecodeBytes / 2) return std::nullopt;
            code.firstInstruction = fieldAddress(address, L.code.co_code_adaptive);
            code.bytes.resize(static_cast<std::size_t>(units) * 2);
            memory.readBytes(code.firstInstruction, code.bytes.data(), code.bytes.size());
        } else {
            return std::nullopt;
        }
        if (has(L.code.co_exceptiontable)) {
            auto table = m_reader.readBytes(readPointerField(memory, address, L.code.co_exceptiontable),
                                            limits.maxLineTableBytes);
            if (!table) return std::nullopt;
            auto handlers = allHandlers(*table, limits.maxContainerItems);
            if (!handlers) return std::nullopt;
            code.handlers = std::move(*handlers);
        }
        const auto stackSize = readField<std::int32_t>(memory, address, L.code.co_stacksize);
        if (stackSize < 0) return std::nullopt;
        code.stackSize = static_cast<std::uint32_t>(stackSize);
        return code;
    }

    std::optional<std::string> describe(const CallTarget& target)
    {
        const auto& L = m_reader.runtime().layout;
        const auto& memory = m_reader.memory();
        const std::uint64_t callable = target.callable;
        const std::uint64_t self = target.self;
        if (callable == 0) return std::nullopt;
        const auto type = m_reader.typeNameOf(callable);
        if (!type || *type == "function" || *type == "method") return std::nullopt;   // Python code: its own frame
        const bool unbound = *type == "method_descriptor" || *type == "wrapper_descriptor";
        if (unbound && self != 0 && has(L.object.descr_name)) {
            // LOAD_METHOD/LOAD_ATTR (LOAD_SUPER_ATTR) left the unbound C method
            // and its instance: shown bound, as the call sees it.
            const std::uint64_t name = readPointerField(memory, callable, L.object.descr_name);
            auto text = name ? readStrUtf8(m_reader, name, m_reader.limits().maxStringBytes) : std::nullopt;
            auto selfType = m_reader.typeNameOf(self);
            if (text && selfType && *type == "method_descriptor")
                return fmt::format("<built-in method {} of {} object at {:#x}>", *text, *selfType, self);
            if (text && selfType) return fmt::format("<method-wrapper '{}' of {} object at {:#x}>", *text, *selfType, self);
        }
        return m_repr.repr(callable);
    }

    const ObjectReader& m_reader;
    ValueStackReader& m_stacks;
    ObjectRepr& m_repr;
    std::unordered_map<std::uint64_t, std::optional<Code>> m_codes;
};

}  // namespace

void addCallsInProgress(const ObjectReader& reader, ValueStackReader& stacks, ObjectRepr& repr,
                        snapshot::Thread& thread)
{
    const auto& rt = reader.runtime();
    const bool recorded = rt.caps.stackTop == StackTopModel::StackPointer;
    if (!recorded && bytecodeFacts(rt.version.minor) == nullptr) return;
    CallReader calls(reader, stacks, repr);
    // Only a frame surely inside a call has its call instruction current
    // with the call's inputs on its stack: one whose newer frame was started
    // from C (up to 3.10 every frame is: each runs its own eval call), or the
    // innermost frame of a thread that released the GIL. 3.14+ release
    // builds also leave the stack pointer of the last escaping call behind
    // (only debug builds clear it), so there any innermost frame of a debug build.
    using snapshot::AttachState;
    const bool released = thread.attachState == AttachState::Detached ||
                          thread.attachState == AttachState::DetachedWaiting ||
                          (!recorded && thread.holdsGil == false);
    const bool eachFrameItsOwnEval = rt.caps.frames == FrameModel::FrameObjects;
    bool newerStartedFromC = (recorded && rt.version.debug) || released;
    for (auto& frame : thread.frames) {
        if (frame.kind != snapshot::FrameKind::Python) continue;
        const bool look = newerStartedFromC;
        newerStartedFromC = frame.entry || eachFrameItsOwnEval;
        if (!look || !frame.address || !frame.codeAddress) continue;
        try {
            frame.calling = calls.calling(frame);
        } catch (const target::MemoryFault&) {
            frame.calling.reset();
        }
    }
}

}  // namespace pyautopsy::runtime
