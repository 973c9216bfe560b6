// BytecodeFacts: what one CPython minor's opcodes do to a frame's value stack
// and where its jumps land -- the tables tools/opcodegen generates from each
// interpreter's own dis and opcode modules (layouts/generated/Bytecode3_N.h),
// for StackDepth.h. 3.8-3.13 only: from 3.14 a frame records its stack depth
// for a call, and nothing needs to be computed.
#pragma once

#include <cstdint>
#include <optional>

namespace pyautopsy::runtime {

// A stack effect dis.stack_effect() gives for no argument CPython accepts.
inline constexpr std::int16_t kNoEffect = INT16_MIN;

enum class EffectKind : std::uint8_t { Unknown, Affine, Table };

// effect(arg) = low(arg & 0xff) + high * (arg >> 8), where low is a + b * x
// (Affine) or a row of the minor's effect tables (Table). Without highKnown
// only one-byte arguments have a known effect.
struct EffectForm {
    EffectKind kind = EffectKind::Unknown;
    std::int32_t a = 0;
    std::int32_t b = 0;
    std::uint16_t table = 0;
    bool highKnown = false;
    std::int32_t high = 0;
};

// The jump target, in bytes: base + perArg * oparg, plus the jump's own byte
// offset when Relative (negative perArg: a backward jump).
enum class JumpKind : std::uint8_t { None, Relative, Absolute };

struct JumpForm {
    JumpKind kind = JumpKind::None;
    std::int32_t base = 0;
    std::int32_t perArg = 0;
};

struct OpcodeFacts {
    bool defined = false;       // false: unknown here, or instrumented (3.12+): the analysis gives up
    std::uint8_t base = 0;      // the opcode a specialized one deoptimizes to (itself otherwise)
    std::uint8_t caches = 0;    // inline cache code units after it (3.11+)
    EffectForm next;            // stack effect when execution goes on to the next instruction
    EffectForm jump;            // ... when it jumps
    JumpForm target;
    bool stops = false;         // never falls through (return, raise, unconditional jump)
};

// Opcodes by name, -1 where the minor has no such opcode.
struct OpcodeRoles {
    int extendedArg = -1;
    int callFunction = -1;      // <= 3.10
    int callMethod = -1;        // 3.7-3.10
    int callFunctionKw = -1;    // <= 3.10
    int callFunctionEx = -1;
    int precall = -1;           // 3.11
    int call = -1;              // 3.11+
    int callKw = -1;            // 3.13+
    int beginFinally = -1;      // 3.8
    int callFinally = -1;       // 3.8
    int popFinally = -1;        // 3.8
    int genStart = -1;          // 3.10: first of a generator's code, pops the value the first send pushed
    int returnGenerator = -1;   // 3.11+: first of a generator's code (3.11-3.12: then POP_TOP pops that value)
};

struct BytecodeFacts {
    const OpcodeFacts* opcodes;                 // 256 entries, by opcode
    const std::int16_t (*effectTables)[256];
    OpcodeRoles roles;
};

// The facts of 3.minor, or nullptr where none are generated (before 3.8, from 3.14).
const BytecodeFacts* bytecodeFacts(int minor);

// The stack effect of `opcode` (a base opcode) with `oparg`, or nullopt.
std::optional<int> stackEffect(const BytecodeFacts& facts, const EffectForm& form, std::uint32_t oparg);

}  // namespace pyautopsy::runtime
