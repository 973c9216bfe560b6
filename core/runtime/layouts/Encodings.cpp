#include "runtime/layouts/Encodings.h"

namespace pyautopsy::runtime::encoding {

LocalKind decodeLocalKind(std::uint8_t kind)
{
    constexpr std::uint8_t kHidden = 0x10;
    constexpr std::uint8_t kCell = 0x40;
    constexpr std::uint8_t kFree = 0x80;
    return {(kind & (kCell | kFree)) != 0, (kind & kHidden) != 0};
}

StackRef decodeStackRef(std::uint64_t word)
{
    if ((word & 3) == 3) return {0, static_cast<std::int64_t>(word) >> 2};
    return {word & ~std::uint64_t{1}, std::nullopt};
}

LongHeader decodeLongSize(std::int64_t obSize)
{
    // -(obSize + 1) + 1 avoids negating INT64_MIN.
    if (obSize < 0) return {true, static_cast<std::uint64_t>(-(obSize + 1)) + 1};
    return {false, static_cast<std::uint64_t>(obSize)};
}

std::optional<LongHeader> decodeLongTag(std::uint64_t lvTag)
{
    switch (lvTag & 3) {
    case 0: return LongHeader{false, lvTag >> 3};
    case 1: return LongHeader{false, 0};
    case 2: return LongHeader{true, lvTag >> 3};
    default: return std::nullopt;
    }
}

UnicodeState decodeUnicodeState(std::uint32_t state)
{
    return {(state >> 2) & 7, ((state >> 5) & 1) != 0, ((state >> 6) & 1) != 0};
}

std::uint64_t classicIndexWidth(std::uint64_t slots)
{
    return slots <= 0xFF ? 1 : slots <= 0xFFFF ? 2 : slots <= 0xFFFFFFFF ? 4 : 8;
}

std::optional<DictEntryShape> kindedDictEntry(std::uint8_t kind)
{
    if (kind == 0) return kClassicDictEntry;
    if (kind <= 2) return DictEntryShape{16, 0, 8};
    return std::nullopt;
}

}  // namespace pyautopsy::runtime::encoding
