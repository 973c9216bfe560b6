#include "runtime/code/BytecodeFacts.h"

#include "runtime/layouts/generated/Bytecode3_10.h"
#include "runtime/layouts/generated/Bytecode3_11.h"
#include "runtime/layouts/generated/Bytecode3_12.h"
#include "runtime/layouts/generated/Bytecode3_13.h"
#include "runtime/layouts/generated/Bytecode3_8.h"
#include "runtime/layouts/generated/Bytecode3_9.h"

#include <limits>

namespace pyautopsy::runtime {

const BytecodeFacts* bytecodeFacts(int minor)
{
    switch (minor) {
    case 8: return &generated::kBytecode3_8;
    case 9: return &generated::kBytecode3_9;
    case 10: return &generated::kBytecode3_10;
    case 11: return &generated::kBytecode3_11;
    case 12: return &generated::kBytecode3_12;
    case 13: return &generated::kBytecode3_13;
    default: return nullptr;
    }
}

std::optional<int> stackEffect(const BytecodeFacts& facts, const EffectForm& form, std::uint32_t oparg)
{
    const std::uint32_t low = oparg & 0xff;
    const std::uint32_t high = oparg >> 8;
    if (high != 0 && !form.highKnown) return std::nullopt;
    std::int64_t effect = 0;
    switch (form.kind) {
    case EffectKind::Unknown:
        return std::nullopt;
    case EffectKind::Affine:
        effect = std::int64_t{form.a} + std::int64_t{form.b} * low;
        break;
    case EffectKind::Table:
        if (facts.effectTables[form.table][low] == kNoEffect) return std::nullopt;
        effect = facts.effectTables[form.table][low];
        break;
    }
    effect += std::int64_t{form.high} * high;
    if (effect < std::numeric_limits<int>::min() || effect > std::numeric_limits<int>::max()) return std::nullopt;
    return static_cast<int>(effect);
}

}  // namespace pyautopsy::runtime
