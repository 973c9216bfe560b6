#include "runtime/code/StackDepth.h"

#include <algorithm>
#include <limits>

namespace pyautopsy::runtime {
namespace {

constexpr int kMaxPrefixes = 3;   // EXTENDED_ARG makes at most a 32-bit argument

struct Decoded {
    std::uint32_t start = 0;    // code unit of its first EXTENDED_ARG, or of the opcode
    std::uint32_t unit = 0;     // code unit of the opcode
    std::uint32_t next = 0;     // code unit after it and its inline caches
    int opcode = 0;             // base opcode
    std::uint32_t oparg = 0;
};

// The instructions, in order, up to the end or the first opcode the facts do
// not know (after it, where the next instruction starts is unknown).
std::vector<Decoded> decode(const BytecodeFacts& facts, std::span<const std::uint8_t> code)
{
    std::vector<Decoded> out;
    const std::uint32_t units = static_cast<std::uint32_t>(code.size() / 2);
    std::uint32_t u = 0;
    while (u < units) {
        Decoded d;
        d.start = u;
        int prefixes = 0;
        std::uint32_t arg = 0;
        while (u < units && facts.opcodes[code[2 * u]].defined &&
               facts.opcodes[code[2 * u]].base == facts.roles.extendedArg && prefixes <= kMaxPrefixes) {
            arg = (arg << 8) | code[2 * u + 1];
            ++prefixes;
            ++u;
        }
        if (u >= units || prefixes > kMaxPrefixes) break;
        const OpcodeFacts& op = facts.opcodes[code[2 * u]];
        if (!op.defined) break;
        d.unit = u;
        d.opcode = op.base;
        d.oparg = (arg << 8) | code[2 * u + 1];
        d.next = u + 1 + op.caches;
        out.push_back(d);
        u = d.next;
    }
    return out;
}

// A generator's code starts on the value its first send() pushes where its
// first opcode does not itself count that value (dis gives GEN_START -1 on
// 3.10, RETURN_GENERATOR 0 on 3.11-3.12 and +1 on 3.13). Closures copy their
// cells first (MAKE_CELL, COPY_FREE_VARS: no stack effect).
std::int64_t startDepth(const BytecodeFacts& facts, const std::vector<Decoded>& instrs)
{
    for (const Decoded& d : instrs) {
        const OpcodeFacts& op = facts.opcodes[d.opcode];
        const auto effect = stackEffect(facts, op.next, d.oparg);
        const bool generator = (facts.roles.genStart >= 0 && d.opcode == facts.roles.genStart) ||
                               (facts.roles.returnGenerator >= 0 && d.opcode == facts.roles.returnGenerator);
        if (generator) return effect && *effect <= 0 ? 1 : 0;
        if (!effect || *effect != 0 || op.target.kind != JumpKind::None || op.stops) return 0;
    }
    return 0;
}

class Walk {
public:
    Walk(const BytecodeFacts& facts, const std::vector<Decoded>& instrs, std::uint32_t units, std::uint32_t maxDepth)
        : m_facts(facts), m_instrs(instrs), m_index(units + 1, kNone), m_depth(instrs.size(), kUnset),
          m_maxDepth(maxDepth)
    {
        for (std::size_t i = 0; i < instrs.size(); ++i) m_index[instrs[i].start] = static_cast<std::uint32_t>(i);
    }

    // Reaching the instruction starting at `unit` with `depth`; false: give up.
    bool reach(std::uint64_t unit, std::int64_t depth)
    {
        if (unit >= m_index.size() || m_index[unit] == kNone) return false;
        if (depth < 0 || depth > m_maxDepth) return false;
        const std::uint32_t i = m_index[unit];
        m_deepest = std::max(m_deepest, depth);
        if (m_depth[i] == kUnset) {
            m_depth[i] = depth;
            m_work.push_back(i);
            return true;
        }
        return m_depth[i] == depth;
    }

    bool run()
    {
        while (!m_work.empty()) {
            const std::uint32_t i = m_work.back();
            m_work.pop_back();
            if (!step(i)) return false;
        }
        return true;
    }

    StackDepths result() const
    {
        StackDepths out;
        out.deepest = static_cast<std::uint32_t>(m_deepest);
        for (std::size_t i = 0; i < m_instrs.size(); ++i) {
            out.units.push_back(m_instrs[i].unit);
            if (m_depth[i] == kUnset)
                out.at.emplace_back();
            else
                out.at.push_back(InstructionDepth{static_cast<std::uint32_t>(m_depth[i]), m_instrs[i].opcode,
                                                  m_instrs[i].oparg});
        }
        return out;
    }

private:
    static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
    static constexpr std::int64_t kUnset = -1;

    bool step(std::uint32_t i)
    {
        const Decoded& d = m_instrs[i];
        const OpcodeFacts& op = m_facts.opcodes[d.opcode];
        const std::int64_t depth = m_depth[i];
        if (op.target.kind != JumpKind::None) {
            auto effect = stackEffect(m_facts, op.jump, d.oparg);
            if (!effect) return false;
            std::int64_t byte = std::int64_t{op.target.base} + std::int64_t{op.target.perArg} * d.oparg;
            if (op.target.kind == JumpKind::Relative) byte += std::int64_t{d.unit} * 2;
            if (byte < 0 || byte % 2 != 0) return false;
            if (!reach(static_cast<std::uint64_t>(byte / 2), depth + *effect)) return false;
        }
        if (op.stops) return true;
        auto effect = stackEffect(m_facts, op.next, d.oparg);
        if (!effect) return false;
        if (d.next >= m_index.size() - 1) return false;   // runs off the end of the code
        return reach(d.next, depth + *effect);
    }

    const BytecodeFacts& m_facts;
    const std::vector<Decoded>& m_instrs;
    std::vector<std::uint32_t> m_index;     // code unit -> instruction starting there
    std::vector<std::int64_t> m_depth;      // by instruction
    std::vector<std::uint32_t> m_work;
    std::int64_t m_maxDepth;
    std::int64_t m_deepest = 0;
};

}  // namespace

std::optional<StackDepths> analyseStackDepths(const BytecodeFacts& facts, std::span<const std::uint8_t> code,
                                              std::span<const ExceptionHandler> handlers, std::uint32_t maxDepth)
{
    if (code.size() < 2 || code.size() / 2 > std::numeric_limits<std::uint32_t>::max() - 1) return std::nullopt;
    const auto instrs = decode(facts, code);
    Walk walk(facts, instrs, static_cast<std::uint32_t>(code.size() / 2), maxDepth);
    if (instrs.empty() || !walk.reach(0, startDepth(facts, instrs))) return std::nullopt;
    for (const ExceptionHandler& h : handlers) {
        // The handler runs on the depth it restores, plus the raising
        // instruction's offset (lasti) and the exception.
        if (!walk.reach(h.target, std::int64_t{h.depth} + (h.lasti ? 1 : 0) + 1)) return std::nullopt;
    }
    if (!walk.run()) return std::nullopt;
    StackDepths depths = walk.result();
    for (const auto& at : depths.at)
        if (at && (at->opcode == facts.roles.beginFinally || at->opcode == facts.roles.callFinally ||
                   at->opcode == facts.roles.popFinally))
            depths.reachesFinally = true;
    return depths;
}

std::optional<InstructionDepth> depthAt(const StackDepths& depths, std::uint32_t unit)
{
    if (depths.reachesFinally) return std::nullopt;
    const auto it = std::lower_bound(depths.units.begin(), depths.units.end(), unit);
    if (it == depths.units.end() || *it != unit) return std::nullopt;
    return depths.at[static_cast<std::size_t>(it - depths.units.begin())];
}

std::optional<InstructionDepth> depthBefore(const BytecodeFacts& facts, std::span<const std::uint8_t> code,
                                            std::span<const ExceptionHandler> handlers, std::uint32_t unit,
                                            std::uint32_t maxDepth)
{
    auto depths = analyseStackDepths(facts, code, handlers, maxDepth);
    return depths ? depthAt(*depths, unit) : std::nullopt;
}

}  // namespace pyautopsy::runtime
