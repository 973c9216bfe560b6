// The stack-depth walk on hand-assembled bytecode, with the generated facts
// of 3.8 and 3.12 (opcode numbers as those interpreters' dis.opmap has them).
#include "runtime/code/StackDepth.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace pyautopsy::runtime {
namespace {

class Assembler {
public:
    explicit Assembler(const BytecodeFacts& facts) : m_facts(facts) {}

    // One instruction and its inline caches; returns the code unit of its opcode.
    std::uint32_t op(int opcode, std::uint32_t arg = 0)
    {
        if (arg > 0xff) {
            for (int shift = 24; shift >= 8; shift -= 8) {
                if ((arg >> shift) == 0) continue;
                m_bytes.push_back(static_cast<std::uint8_t>(m_facts.roles.extendedArg));
                m_bytes.push_back(static_cast<std::uint8_t>(arg >> shift));
            }
        }
        const auto unit = static_cast<std::uint32_t>(m_bytes.size() / 2);
        m_bytes.push_back(static_cast<std::uint8_t>(opcode));
        m_bytes.push_back(static_cast<std::uint8_t>(arg));
        for (int i = 0; i < m_facts.opcodes[opcode].caches; ++i) {
            m_bytes.push_back(0);
            m_bytes.push_back(0);
        }
        return unit;
    }

    std::uint32_t here() const { return static_cast<std::uint32_t>(m_bytes.size() / 2); }
    void patchArg(std::uint32_t unit, std::uint8_t arg) { m_bytes[2 * unit + 1] = arg; }
    const std::vector<std::uint8_t>& bytes() const { return m_bytes; }

private:
    const BytecodeFacts& m_facts;
    std::vector<std::uint8_t> m_bytes;
};

// 3.12's dis.opmap.
constexpr int kPopTop12 = 1, kPushNull12 = 2, kReturnValue12 = 83, kLoadConst12 = 100, kJumpForward12 = 110,
              kPopJumpIfFalse12 = 114, kLoadGlobal12 = 116, kReturnConst12 = 121, kLoadFast12 = 124,
              kResume12 = 151, kCall12 = 171, kNop12 = 9;
// 3.8's dis.opmap.
constexpr int kBeginFinally8 = 53, kReturnValue8 = 83, kLoadConst8 = 100, kLoadGlobal8 = 116,
              kCallFunction8 = 131, kPopTop8 = 1;

const BytecodeFacts& facts12() { return *bytecodeFacts(12); }
const BytecodeFacts& facts8() { return *bytecodeFacts(8); }

TEST(StackDepth, FactsExistFor38To313Only)
{
    EXPECT_EQ(bytecodeFacts(7), nullptr);
    for (int minor = 8; minor <= 13; ++minor) EXPECT_NE(bytecodeFacts(minor), nullptr) << minor;
    EXPECT_EQ(bytecodeFacts(14), nullptr);
    EXPECT_EQ(facts12().roles.call, kCall12);
    EXPECT_EQ(facts8().roles.callFunction, kCallFunction8);
}

TEST(StackDepth, StraightLineCall312)
{
    Assembler a(facts12());
    a.op(kResume12);
    a.op(kLoadGlobal12, 1);   // NULL + f
    a.op(kLoadConst12, 0);
    const auto call = a.op(kCall12, 1);
    a.op(kPopTop12);
    a.op(kReturnConst12, 0);
    auto at = depthBefore(facts12(), a.bytes(), {}, call, 3);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 3u);
    EXPECT_EQ(at->opcode, kCall12);
    EXPECT_EQ(at->oparg, 1u);
    EXPECT_FALSE(depthBefore(facts12(), a.bytes(), {}, call, 2)) << "deeper than co_stacksize";
}

TEST(StackDepth, BothBranchesAndNoFallthroughAfterReturn312)
{
    Assembler a(facts12());
    a.op(kResume12);
    a.op(kLoadFast12, 0);
    const auto jump = a.op(kPopJumpIfFalse12, 0);
    a.op(kLoadConst12, 0);
    a.op(kReturnValue12);
    // Reached only by the jump, at depth 0 (after RETURN_VALUE's -1 it would be 0 too: check the call).
    const auto target = a.here();
    a.op(kPushNull12);
    a.op(kLoadFast12, 0);
    a.op(kLoadConst12, 0);
    a.op(kLoadConst12, 1);
    const auto call = a.op(kCall12, 2);
    a.op(kReturnValue12);
    const auto after = jump + 1 + facts12().opcodes[kPopJumpIfFalse12].caches;
    auto bytes = a.bytes();
    bytes[2 * jump + 1] = static_cast<std::uint8_t>(target - after);
    auto at = depthBefore(facts12(), bytes, {}, call, 8);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 4u);
}

TEST(StackDepth, DisagreeingDepthsGiveUp312)
{
    Assembler a(facts12());
    a.op(kResume12);
    a.op(kLoadConst12, 0);
    a.op(kLoadConst12, 0);
    const auto jump = a.op(kPopJumpIfFalse12, 0);   // depth 1 at the target
    a.op(kLoadConst12, 0);                          // depth 2 falling through into it
    const auto target = a.here();
    const auto call = a.op(kNop12);
    a.op(kReturnValue12);
    auto bytes = a.bytes();
    bytes[2 * jump + 1] = static_cast<std::uint8_t>(target - (jump + 1 + facts12().opcodes[kPopJumpIfFalse12].caches));
    EXPECT_FALSE(depthBefore(facts12(), bytes, {}, call, 8));
}

TEST(StackDepth, ExtendedArgJump312)
{
    Assembler a(facts12());
    a.op(kResume12);
    const auto jump = a.op(kJumpForward12, 300);   // EXTENDED_ARG 1, JUMP_FORWARD 44
    for (int i = 0; i < 300; ++i) a.op(kPopTop12);  // skipped: would underflow
    a.op(kLoadConst12, 0);
    const auto nop = a.op(kNop12);
    a.op(kReturnValue12);
    auto at = depthBefore(facts12(), a.bytes(), {}, nop, 4);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 1u);
    EXPECT_EQ(jump, 2u);   // after RESUME and the EXTENDED_ARG prefix
}

TEST(StackDepth, ExceptionHandlerDepthFromTheTable312)
{
    Assembler a(facts12());
    a.op(kResume12);
    a.op(kLoadConst12, 0);
    a.op(kNop12);           // covered by the handler, at depth 1
    a.op(kReturnValue12);
    const auto handler = a.here();
    const auto nop = a.op(kNop12);   // depth 1 (kept) + lasti + the exception
    a.op(kPopTop12);
    a.op(kPopTop12);
    a.op(kReturnValue12);
    const ExceptionHandler withLasti{1, 3, handler, 1, true};
    auto at = depthBefore(facts12(), a.bytes(), std::vector{withLasti}, nop, 8);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 3u);
    const ExceptionHandler plain{1, 3, handler, 1, false};
    at = depthBefore(facts12(), a.bytes(), std::vector{plain}, nop, 8);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 2u);
    const ExceptionHandler tooDeep{1, 3, handler, 7, true};
    EXPECT_FALSE(depthBefore(facts12(), a.bytes(), std::vector{tooDeep}, nop, 8));
}

TEST(StackDepth, SpecializedOpcodesCountAsTheirBase312)
{
    int specialized = -1;
    for (int op = 0; op < 256; ++op) {
        if (op != kCall12 && facts12().opcodes[op].defined && facts12().opcodes[op].base == kCall12) specialized = op;
    }
    ASSERT_GE(specialized, 0);
    Assembler a(facts12());
    a.op(kResume12);
    a.op(kLoadGlobal12, 1);
    a.op(kLoadConst12, 0);
    const auto call = a.op(specialized, 1);
    a.op(kReturnValue12);
    auto at = depthBefore(facts12(), a.bytes(), {}, call, 3);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->opcode, kCall12);
    EXPECT_EQ(at->depth, 3u);
}

TEST(StackDepth, UnknownOpcodeOrRunningOffTheEndGivesUp312)
{
    int unknown = -1;
    for (int op = 255; op >= 0 && unknown < 0; --op) {
        if (!facts12().opcodes[op].defined) unknown = op;
    }
    ASSERT_GE(unknown, 0);
    Assembler a(facts12());
    a.op(kResume12);
    a.op(unknown);
    const auto nop = a.op(kNop12);
    a.op(kReturnValue12);
    EXPECT_FALSE(depthBefore(facts12(), a.bytes(), {}, nop, 4));

    Assembler b(facts12());
    b.op(kResume12);
    const auto last = b.op(kLoadConst12, 0);   // falls off the end
    EXPECT_FALSE(depthBefore(facts12(), b.bytes(), {}, last, 4));
}

TEST(StackDepth, CallFunction38)
{
    Assembler a(facts8());
    a.op(kLoadGlobal8, 0);
    a.op(kLoadConst8, 0);
    a.op(kLoadConst8, 1);
    const auto call = a.op(kCallFunction8, 2);
    a.op(kPopTop8);
    a.op(kLoadConst8, 0);
    a.op(kReturnValue8);
    auto at = depthBefore(facts8(), a.bytes(), {}, call, 3);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->depth, 3u);
}

TEST(StackDepth, FinallyBlocksOf38GiveUp)
{
    Assembler a(facts8());
    a.op(kBeginFinally8);
    const auto call = a.op(kLoadConst8, 0);
    a.op(kReturnValue8);
    EXPECT_FALSE(depthBefore(facts8(), a.bytes(), {}, call, 16));
}

TEST(StackDepth, RandomBytesTerminate)
{
    std::mt19937 rng(12345);
    for (int minor = 8; minor <= 13; ++minor) {
        for (int round = 0; round < 300; ++round) {
            std::vector<std::uint8_t> bytes(2 * (1 + rng() % 200));
            for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
            const std::vector<ExceptionHandler> handlers{{0, 3, static_cast<std::uint32_t>(rng() % 300), 2, true}};
            (void)depthBefore(*bytecodeFacts(minor), bytes, handlers, static_cast<std::uint32_t>(rng() % 200), 64);
        }
    }
}

}  // namespace
}  // namespace pyautopsy::runtime
