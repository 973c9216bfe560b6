// The decoders of CPython's packed words, on values read from real
// interpreters of the test bed (ctypes.string_at on live objects: the size
// word of ints, the state word of strs) and on the edge cases they must refuse.
#include "runtime/layouts/Encodings.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace pyautopsy::runtime::encoding {
namespace {

TEST(LongSize, SignAndDigitCountBefore312)
{
    // 3.8.18 and 3.11.2: 0, 1, -1, 2**40, -(2**40), 10**30.
    EXPECT_EQ(decodeLongSize(0).digitCount, 0u);
    EXPECT_FALSE(decodeLongSize(1).negative);
    EXPECT_EQ(decodeLongSize(1).digitCount, 1u);
    EXPECT_TRUE(decodeLongSize(-1).negative);
    EXPECT_EQ(decodeLongSize(-1).digitCount, 1u);
    EXPECT_EQ(decodeLongSize(2).digitCount, 2u);
    EXPECT_EQ(decodeLongSize(-2).digitCount, 2u);
    EXPECT_EQ(decodeLongSize(4).digitCount, 4u);
    // Garbage must not overflow.
    EXPECT_EQ(decodeLongSize(std::numeric_limits<std::int64_t>::min()).digitCount, std::uint64_t{1} << 63);
}

TEST(LongTag, SignDigitsAndTheImmortalBit)
{
    // 3.12.1: 0 -> 0x1, 1 -> 0x8, -1 -> 0xa, 2**40 -> 0x10, -(2**40) -> 0x12, 10**30 -> 0x20.
    EXPECT_EQ(decodeLongTag(0x1)->digitCount, 0u);
    EXPECT_EQ(decodeLongTag(0x8)->digitCount, 1u);
    EXPECT_FALSE(decodeLongTag(0x8)->negative);
    EXPECT_TRUE(decodeLongTag(0xa)->negative);
    EXPECT_EQ(decodeLongTag(0x10)->digitCount, 2u);
    EXPECT_TRUE(decodeLongTag(0x12)->negative);
    EXPECT_EQ(decodeLongTag(0x20)->digitCount, 4u);
    // 3.14.10 and 3.15.2 mark small ints immortal with bit 2: 0 -> 0x5, 1 -> 0xc, -1 -> 0xe.
    EXPECT_EQ(decodeLongTag(0x5)->digitCount, 0u);
    EXPECT_EQ(decodeLongTag(0xc)->digitCount, 1u);
    EXPECT_FALSE(decodeLongTag(0xc)->negative);
    EXPECT_TRUE(decodeLongTag(0xe)->negative);
    // Sign 3 is no int.
    EXPECT_FALSE(decodeLongTag(0xb).has_value());
}

TEST(UnicodeState, KindCompactAscii)
{
    // 'abc': 3.8.18 0xe5, 3.12.1 0xe7, 3.14.10 0x66 (interned bits differ).
    for (std::uint32_t state : {0xe5u, 0xe7u, 0x66u}) {
        auto s = decodeUnicodeState(state);
        EXPECT_EQ(s.kind, 1u);
        EXPECT_TRUE(s.compact);
        EXPECT_TRUE(s.ascii);
    }
    // 'é' (Latin-1, not ASCII): 3.11.2 0xa4, 3.14.10 0xa7.
    for (std::uint32_t state : {0xa4u, 0xa7u}) {
        auto s = decodeUnicodeState(state);
        EXPECT_EQ(s.kind, 1u);
        EXPECT_TRUE(s.compact);
        EXPECT_FALSE(s.ascii);
    }
    // '€': 2 bytes a code point (3.14.10 0x28); an emoji: 4 (0x30; 3.8.18 0xb0).
    EXPECT_EQ(decodeUnicodeState(0x28).kind, 2u);
    EXPECT_EQ(decodeUnicodeState(0x30).kind, 4u);
    EXPECT_EQ(decodeUnicodeState(0xb0).kind, 4u);
    // The words above the state byte (3.12's padding held string bytes) do not matter.
    EXPECT_EQ(decodeUnicodeState(0x30303064).kind, 1u);
    // A legacy string not yet ready (<= 3.11) has kind 0.
    EXPECT_EQ(decodeUnicodeState(0x0).kind, 0u);
}

TEST(StackRef, TaggedIntsNullAndOwnershipBit)
{
    EXPECT_EQ(decodeStackRef(0x7f0012345678).object, 0x7f0012345678u);
    EXPECT_EQ(decodeStackRef(0x7f0012345679).object, 0x7f0012345678u);   // deferred reference
    EXPECT_EQ(decodeStackRef(0x1).object, 0u);                            // PyStackRef_NULL
    EXPECT_FALSE(decodeStackRef(0x1).taggedInt.has_value());
    auto tagged = decodeStackRef((std::uint64_t{42} << 2) | 3);
    EXPECT_EQ(tagged.object, 0u);
    EXPECT_EQ(tagged.taggedInt, 42);
    EXPECT_EQ(decodeStackRef(static_cast<std::uint64_t>(std::int64_t{-7} * 4) | 3).taggedInt, -7);
}

TEST(LocalKind, CellsFreesAndHiddenSlots)
{
    EXPECT_FALSE(decodeLocalKind(0x20).cell);    // CO_FAST_LOCAL
    EXPECT_FALSE(decodeLocalKind(0x20).hidden);
    EXPECT_TRUE(decodeLocalKind(0x40).cell);     // CO_FAST_CELL
    EXPECT_TRUE(decodeLocalKind(0x80).cell);     // CO_FAST_FREE
    EXPECT_TRUE(decodeLocalKind(0x66).cell);     // an argument that is also a cell
    EXPECT_TRUE(decodeLocalKind(0x30).hidden);   // an inlined comprehension's variable
}

TEST(DictKeys, IndexWidthAndEntryShapes)
{
    EXPECT_EQ(classicIndexWidth(8), 1u);
    EXPECT_EQ(classicIndexWidth(0x100), 2u);
    EXPECT_EQ(classicIndexWidth(0x10000), 4u);
    EXPECT_EQ(classicIndexWidth(std::uint64_t{1} << 32), 8u);
    EXPECT_EQ(kindedDictEntry(0)->size, 24u);
    EXPECT_EQ(kindedDictEntry(0)->keyOffset, 8u);
    EXPECT_EQ(kindedDictEntry(1)->size, 16u);
    EXPECT_EQ(kindedDictEntry(2)->valueOffset, 8u);
    EXPECT_FALSE(kindedDictEntry(3).has_value());
}

TEST(ManagedDict, TaggedValuesWord)
{
    EXPECT_TRUE(isTaggedValues(0x7f00123455ff));
    EXPECT_EQ(taggedValuesPointer(0x7f00123455ff), 0x7f0012345600u);
    EXPECT_FALSE(isTaggedValues(0x7f0012345600));
}

}  // namespace
}  // namespace pyautopsy::runtime::encoding
