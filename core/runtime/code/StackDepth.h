// StackDepth: how deep a frame's value stack is before one instruction,
// computed from the code object's bytecode the way CPython's compiler
// computes co_stacksize -- for 3.8-3.13, where a frame calling into C does
// not record its stack depth (BytecodeFacts.h has each minor's opcodes).
//
// A forward walk from the first instruction (and, 3.11+, from each exception
// handler, entered at the depth its table entry gives) follows every edge: to
// the next instruction unless the opcode never falls through, and to the jump
// target with the jump's effect. CPython's bytecode has one depth per
// instruction, so an instruction reached at two depths means the facts do not
// describe this code (or it is not CPython's): the walk gives up, as it does
// on an opcode it does not know (3.12+ instrumented code, for one), a jump
// out of the code or into an instruction's middle, a depth below 0 or above
// co_stacksize, and on 3.8's finally blocks, whose compile-time effects are
// not the run-time ones. Bounded by the code's length.
#pragma once

#include "runtime/code/BytecodeFacts.h"
#include "runtime/code/ExceptionTable.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pyautopsy::runtime {

struct InstructionDepth {
    std::uint32_t depth = 0;    // value-stack slots in use before the instruction
    int opcode = 0;             // its base opcode (specializations undone)
    std::uint32_t oparg = 0;    // with its EXTENDED_ARG prefixes
};

// Every decoded instruction's depth, and the deepest the stack gets (what
// the compiler stores as co_stacksize), or nullopt where the walk gives up.
// `maxDepth` bounds the depths. One analysis answers depthAt() for every
// frame running the code (a recursion's hundreds).
struct StackDepths {
    std::vector<std::uint32_t> units;                 // code unit of each instruction's opcode, ascending
    std::vector<std::optional<InstructionDepth>> at;  // by instruction: nullopt where not reached
    std::uint32_t deepest = 0;
    // 3.8: a finally block was reached. Entered without an exception it holds
    // fewer values than the compiler reserves for it, so no depth of this
    // code is trusted to be the run-time one.
    bool reachesFinally = false;
};
std::optional<StackDepths> analyseStackDepths(const BytecodeFacts& facts, std::span<const std::uint8_t> code,
                                              std::span<const ExceptionHandler> handlers, std::uint32_t maxDepth);

// The depth before the instruction whose opcode is at code unit `unit`.
std::optional<InstructionDepth> depthAt(const StackDepths& depths, std::uint32_t unit);

// analyseStackDepths, then depthAt.
// `code` is the bytecode (3.11+: the live, possibly specialized copy),
// `handlers` the exception table's entries (empty before 3.11), `unit` the
// code unit of the instruction's opcode (not of an EXTENDED_ARG before it),
// `maxDepth` the code's co_stacksize.
std::optional<InstructionDepth> depthBefore(const BytecodeFacts& facts, std::span<const std::uint8_t> code,
                                            std::span<const ExceptionHandler> handlers, std::uint32_t unit,
                                            std::uint32_t maxDepth);

}  // namespace pyautopsy::runtime
