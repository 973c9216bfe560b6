// Hand-made line tables for each format, and garbage that must end decoding
// cleanly. Expected lines follow the format descriptions (docs/cpython-internals.md §5.2–§5.4);
// LineTableRealDataTest.cpp checks the same decoders against real interpreters.
#include "runtime/code/LineTable.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace pyautopsy::runtime {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::optional<int> line(LineTableFormat format, const Bytes& table, int first, int offset)
{
    return lineForOffset(format, table, first, offset);
}

std::optional<int> lnotab(const Bytes& table, int first, int offset)
{
    return line(LineTableFormat::Lnotab38, table, first, offset);
}

std::optional<int> lt310(const Bytes& table, int first, int offset)
{
    return line(LineTableFormat::Linetable310, table, first, offset);
}

std::optional<int> loc311(const Bytes& table, int first, int offset)
{
    return line(LineTableFormat::Locations311, table, first, offset);
}

constexpr std::uint8_t signedByte(int value) { return static_cast<std::uint8_t>(value & 0xff); }

// --- 3.11+ encoder, written from the format description ---------------------

void appendVarint(Bytes& out, std::uint32_t value)
{
    while (value >= 0x40) {
        out.push_back(static_cast<std::uint8_t>(0x40 | (value & 0x3f)));
        value >>= 6;
    }
    out.push_back(static_cast<std::uint8_t>(value));
}

void appendSvarint(Bytes& out, int value)
{
    const auto magnitude = static_cast<std::uint32_t>(value < 0 ? -static_cast<std::int64_t>(value) : value);
    appendVarint(out, value < 0 ? (magnitude << 1) | 1 : magnitude << 1);
}

// First byte of an entry covering `units` code units (1..8).
std::uint8_t head(unsigned code, unsigned units)
{
    return static_cast<std::uint8_t>(0x80 | (code << 3) | (units - 1));
}

void shortEntry(Bytes& out, unsigned code, unsigned units, std::uint8_t columns = 0x12)
{
    out.push_back(head(code, units));
    out.push_back(columns);
}

void oneLineEntry(Bytes& out, unsigned lineDelta, unsigned units)
{
    out.push_back(head(10 + lineDelta, units));
    out.push_back(4);   // start column
    out.push_back(20);  // end column
}

void noColumnEntry(Bytes& out, int lineDelta, unsigned units)
{
    out.push_back(head(13, units));
    appendSvarint(out, lineDelta);
}

void longEntry(Bytes& out, int lineDelta, unsigned units, std::uint32_t endLineDelta = 2,
               std::uint32_t startColumn = 300, std::uint32_t endColumn = 5)
{
    out.push_back(head(14, units));
    appendSvarint(out, lineDelta);
    appendVarint(out, endLineDelta);
    appendVarint(out, startColumn + 1);
    appendVarint(out, endColumn + 1);
}

void noLocationEntry(Bytes& out, unsigned units) { out.push_back(head(15, units)); }

// --- format selection --------------------------------------------------------

TEST(LineTableFormatFor, MapsVersions)
{
    EXPECT_EQ(lineTableFormatFor(3, 7), std::nullopt);
    EXPECT_EQ(lineTableFormatFor(2, 7), std::nullopt);
    EXPECT_EQ(lineTableFormatFor(3, 8), LineTableFormat::Lnotab38);
    EXPECT_EQ(lineTableFormatFor(3, 9), LineTableFormat::Lnotab38);
    EXPECT_EQ(lineTableFormatFor(3, 10), LineTableFormat::Linetable310);
    EXPECT_EQ(lineTableFormatFor(3, 11), LineTableFormat::Locations311);
    EXPECT_EQ(lineTableFormatFor(3, 15), LineTableFormat::Locations311);
}

// --- 3.8/3.9 co_lnotab -------------------------------------------------------

TEST(Lnotab38, EmptyTableIsFirstLineEverywhere)
{
    EXPECT_EQ(lnotab({}, 7, 0), 7);
    EXPECT_EQ(lnotab({}, 7, 1000), 7);
}

TEST(Lnotab38, StepsApplyFromTheirAddress)
{
    const Bytes table{6, 1, 8, 2};  // line 10 at 0, 11 at 6, 13 at 14
    for (int offset = 0; offset < 6; offset += 2) {
        EXPECT_EQ(lnotab(table, 10, offset), 10) << offset;
    }
    EXPECT_EQ(lnotab(table, 10, 6), 11);
    EXPECT_EQ(lnotab(table, 10, 12), 11);
    EXPECT_EQ(lnotab(table, 10, 14), 13);
    EXPECT_EQ(lnotab(table, 10, 500), 13);  // past the table: the last line, as CPython
}

TEST(Lnotab38, LargeAddressJumpIsSplitInto255Pairs)
{
    const Bytes table{255, 0, 45, 1};  // +1 line at address 300
    EXPECT_EQ(lnotab(table, 1, 254), 1);
    EXPECT_EQ(lnotab(table, 1, 255), 1);  // the (255,0) step changes nothing
    EXPECT_EQ(lnotab(table, 1, 298), 1);
    EXPECT_EQ(lnotab(table, 1, 300), 2);
}

TEST(Lnotab38, LargeLineJumpIsSplitIntoZeroAddressPairs)
{
    const Bytes table{0, 127, 0, 127, 4, 10};
    EXPECT_EQ(lnotab(table, 1, 0), 255);
    EXPECT_EQ(lnotab(table, 1, 2), 255);
    EXPECT_EQ(lnotab(table, 1, 4), 265);
}

TEST(Lnotab38, NegativeLineDeltas)
{
    const Bytes table{4, 5, 4, signedByte(-3), 2, signedByte(-128)};
    EXPECT_EQ(lnotab(table, 100, 0), 100);
    EXPECT_EQ(lnotab(table, 100, 4), 105);
    EXPECT_EQ(lnotab(table, 100, 8), 102);
    EXPECT_EQ(lnotab(table, 100, 10), -26);
}

TEST(Lnotab38, NegativeOffsetIsFirstLine)
{
    const Bytes table{0, 3, 2, 1};
    EXPECT_EQ(lnotab(table, 40, -1), 40);
    EXPECT_EQ(lnotab(table, 40, -2), 40);
    EXPECT_EQ(lineForLasti(LineTableFormat::Lnotab38, table, 40, -1), 40);
}

TEST(Lnotab38, TrailingOddByteIsIgnored)
{
    EXPECT_EQ(lnotab({2, 1, 2}, 1, 10), 2);
}

TEST(Lnotab38, LineLeavingIntIsMalformed)
{
    EXPECT_EQ(lnotab({0, 1}, INT_MAX, 0), std::nullopt);
    EXPECT_EQ(lnotab({0, 1}, INT_MAX, -1), INT_MAX);  // the step is never reached
}

// --- 3.10 co_linetable -------------------------------------------------------

TEST(Linetable310, RangesCarryTheirLine)
{
    // [0,6) line 20, [6,10) 21, [10,12) none, [12,20) 18.
    const Bytes table{6, 0, 4, 1, 2, signedByte(-128), 8, signedByte(-3)};
    EXPECT_EQ(lt310(table, 20, 0), 20);
    EXPECT_EQ(lt310(table, 20, 5), 20);
    EXPECT_EQ(lt310(table, 20, 6), 21);
    EXPECT_EQ(lt310(table, 20, 9), 21);
    EXPECT_EQ(lt310(table, 20, 10), std::nullopt);
    EXPECT_EQ(lt310(table, 20, 11), std::nullopt);
    EXPECT_EQ(lt310(table, 20, 12), 18);
    EXPECT_EQ(lt310(table, 20, 19), 18);
    EXPECT_EQ(lt310(table, 20, 20), std::nullopt);  // past the last range
}

TEST(Linetable310, NoLineLeavesTheRunningLineAlone)
{
    const Bytes table{2, signedByte(-128), 2, 1, 2, signedByte(-128), 2, 0};
    EXPECT_EQ(lt310(table, 5, 0), std::nullopt);
    EXPECT_EQ(lt310(table, 5, 2), 6);
    EXPECT_EQ(lt310(table, 5, 4), std::nullopt);
    EXPECT_EQ(lt310(table, 5, 6), 6);
}

TEST(Linetable310, ZeroLengthRangesOnlyMoveTheLine)
{
    const Bytes table{0, 127, 0, 100, 254, 0, 10, 1};
    EXPECT_EQ(lt310(table, 1, 0), 228);
    EXPECT_EQ(lt310(table, 1, 253), 228);
    EXPECT_EQ(lt310(table, 1, 254), 229);
    EXPECT_EQ(lt310(table, 1, 263), 229);
    EXPECT_EQ(lt310(table, 1, 264), std::nullopt);
}

TEST(Linetable310, NegativeOffsetIsOutsideButLastiIsFirstLine)
{
    const Bytes table{4, 2};
    EXPECT_EQ(lt310(table, 9, -2), std::nullopt);
    EXPECT_EQ(lineForLasti(LineTableFormat::Linetable310, table, 9, -2), 9);
    EXPECT_EQ(lineForLasti(LineTableFormat::Linetable310, table, 9, 0), 11);
}

TEST(Linetable310, EmptyAndOddTables)
{
    EXPECT_EQ(lt310({}, 1, 0), std::nullopt);
    EXPECT_EQ(lt310({4}, 1, 0), std::nullopt);
    EXPECT_EQ(lt310({4, 1, 4}, 1, 3), 2);
    EXPECT_EQ(lt310({4, 1, 4}, 1, 4), std::nullopt);
}

TEST(Linetable310, LineLeavingIntIsMalformed)
{
    EXPECT_EQ(lt310({2, signedByte(-1)}, INT_MIN, 0), std::nullopt);
}

// --- 3.11+ location table ----------------------------------------------------

TEST(Locations311, ShortCodesKeepTheLine)
{
    Bytes table;
    for (unsigned code = 0; code <= 9; ++code) {
        shortEntry(table, code, 1, static_cast<std::uint8_t>(code));
    }
    for (int offset = 0; offset < 20; ++offset) {
        EXPECT_EQ(loc311(table, 33, offset), 33) << offset;
    }
    EXPECT_EQ(loc311(table, 33, 20), std::nullopt);
}

TEST(Locations311, OneLineCodesAddCodeMinusTen)
{
    Bytes table;
    oneLineEntry(table, 0, 1);  // 50
    oneLineEntry(table, 1, 2);  // 51
    oneLineEntry(table, 2, 1);  // 53
    oneLineEntry(table, 0, 1);  // 53
    EXPECT_EQ(loc311(table, 50, 0), 50);
    EXPECT_EQ(loc311(table, 50, 2), 51);
    EXPECT_EQ(loc311(table, 50, 5), 51);
    EXPECT_EQ(loc311(table, 50, 6), 53);
    EXPECT_EQ(loc311(table, 50, 8), 53);
}

TEST(Locations311, NoColumnEntriesCarrySignedDeltas)
{
    Bytes table;
    noColumnEntry(table, 0, 1);        // 10
    noColumnEntry(table, 5, 1);        // 15
    noColumnEntry(table, -7, 1);       // 8
    noColumnEntry(table, 1000, 1);     // 1008: two varint groups
    noColumnEntry(table, -100000, 1);  // -98992: three groups
    noColumnEntry(table, 31, 1);       // -98961: largest one-group magnitude
    noColumnEntry(table, -32, 1);      // -98993: needs a second group
    EXPECT_EQ(loc311(table, 10, 0), 10);
    EXPECT_EQ(loc311(table, 10, 2), 15);
    EXPECT_EQ(loc311(table, 10, 4), 8);
    EXPECT_EQ(loc311(table, 10, 6), 1008);
    EXPECT_EQ(loc311(table, 10, 8), -98992);
    EXPECT_EQ(loc311(table, 10, 10), -98961);
    EXPECT_EQ(loc311(table, 10, 12), -98993);
}

TEST(Locations311, LongEntriesSkipTheirEndLineAndColumns)
{
    Bytes table;
    longEntry(table, 3, 4);                 // 103 over [0,8)
    longEntry(table, -2, 2, 70000, 0, 0);   // 101 over [8,12), multi-group trailing varints
    shortEntry(table, 0, 1);                // 101 over [12,14)
    EXPECT_EQ(loc311(table, 100, 0), 103);
    EXPECT_EQ(loc311(table, 100, 7), 103);
    EXPECT_EQ(loc311(table, 100, 8), 101);
    EXPECT_EQ(loc311(table, 100, 12), 101);
    EXPECT_EQ(loc311(table, 100, 14), std::nullopt);
}

TEST(Locations311, NoLocationHasNoLineAndKeepsTheRunningLine)
{
    Bytes table;
    noColumnEntry(table, 4, 1);  // 24
    noLocationEntry(table, 3);   // none over [2,8)
    shortEntry(table, 2, 1);     // still 24
    oneLineEntry(table, 1, 1);   // 25
    EXPECT_EQ(loc311(table, 20, 0), 24);
    EXPECT_EQ(loc311(table, 20, 2), std::nullopt);
    EXPECT_EQ(loc311(table, 20, 7), std::nullopt);
    EXPECT_EQ(loc311(table, 20, 8), 24);
    EXPECT_EQ(loc311(table, 20, 10), 25);
}

TEST(Locations311, LengthsAreInCodeUnits)
{
    Bytes table;
    for (unsigned units = 1; units <= 8; ++units) {
        oneLineEntry(table, 1, units);
    }
    int start = 0;
    for (int units = 1; units <= 8; ++units) {
        const int end = start + 2 * units;
        EXPECT_EQ(loc311(table, 0, start), units) << units;
        EXPECT_EQ(loc311(table, 0, end - 1), units) << units;  // odd offsets fall in too
        start = end;
    }
    EXPECT_EQ(loc311(table, 0, start), std::nullopt);
}

TEST(Locations311, NegativeOffsetIsOutsideButLastiIsFirstLine)
{
    Bytes table;
    oneLineEntry(table, 2, 1);
    EXPECT_EQ(loc311(table, 5, -2), std::nullopt);
    EXPECT_EQ(lineForLasti(LineTableFormat::Locations311, table, 5, -2), 5);
    EXPECT_EQ(lineForLasti(LineTableFormat::Locations311, table, 5, 0), 7);
    EXPECT_EQ(lineForLasti(LineTableFormat::Locations311, {}, 5, -1), 5);
}

TEST(Locations311, ExtraBytesBeforeTheNextEntryAreSkipped)
{
    Bytes table{head(12, 1), 1, 2, 3, 4, 5};  // one-line entry with three stray bytes
    oneLineEntry(table, 1, 1);
    EXPECT_EQ(loc311(table, 1, 0), 3);
    EXPECT_EQ(loc311(table, 1, 2), 4);
}

TEST(Locations311, EntryWithoutBit7EndsDecoding)
{
    EXPECT_EQ(loc311({0x10, head(10, 1), 0, 0}, 1, 0), std::nullopt);
    EXPECT_EQ(loc311({0x10, head(10, 1), 0, 0}, 1, 2), std::nullopt);
}

TEST(Locations311, TruncatedVarintEndsDecoding)
{
    Bytes table;
    oneLineEntry(table, 1, 1);
    table.push_back(head(13, 1));
    table.push_back(0x41);  // continuation set, then the table ends
    EXPECT_EQ(loc311(table, 1, 0), 2);
    EXPECT_EQ(loc311(table, 1, 2), std::nullopt);

    Bytes interrupted{head(13, 1), 0x41, head(10, 1), 0, 0};  // next entry starts mid-varint
    EXPECT_EQ(loc311(interrupted, 1, 0), std::nullopt);
    EXPECT_EQ(loc311(interrupted, 1, 2), std::nullopt);

    EXPECT_EQ(loc311({head(14, 1)}, 1, 0), std::nullopt);  // long entry with nothing after it
}

TEST(Locations311, OverlongVarintEndsDecoding)
{
    // Six groups hold 32 bits; a seventh group, or bits above 32, are garbage.
    EXPECT_EQ(loc311({head(13, 1), 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x00}, 1, 0), std::nullopt);
    EXPECT_EQ(loc311({head(13, 1), 0x40, 0x40, 0x40, 0x40, 0x40, 0x3f}, 1, 0), std::nullopt);
    // 2^32-2 (the largest even value) still decodes: a +2^31-1 delta from line 0.
    EXPECT_EQ(loc311({head(13, 1), 0x7e, 0x7f, 0x7f, 0x7f, 0x7f, 0x03}, 0, 0), INT_MAX);
}

TEST(Locations311, LineLeavingIntIsMalformed)
{
    Bytes table;
    oneLineEntry(table, 2, 1);
    EXPECT_EQ(loc311(table, INT_MAX - 1, 0), std::nullopt);
    Bytes down;
    noColumnEntry(down, -1000, 1);
    EXPECT_EQ(loc311(down, INT_MIN + 5, 0), std::nullopt);
}

TEST(Locations311, TruncatedColumnsStillGiveTheLine)
{
    // Columns do not affect the line, so an entry cut inside them still has one.
    EXPECT_EQ(loc311({head(11, 2)}, 1, 3), 2);
    Bytes table;
    longEntry(table, 6, 1);
    table.resize(3);  // head, line delta, end-line delta: both columns cut off
    EXPECT_EQ(loc311(table, 1, 0), 7);
}

// --- garbage -----------------------------------------------------------------

const LineTableFormat kAllFormats[] = {LineTableFormat::Lnotab38, LineTableFormat::Linetable310,
                                       LineTableFormat::Locations311};

// Random tables must decode without reading past the span (ASan checks the
// heap copy has exactly table.size() bytes) and without hanging.
TEST(LineTableGarbage, RandomBytesTerminate)
{
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 96);
    std::uniform_int_distribution<int> offset(-4, 1200);
    std::uniform_int_distribution<int> first(-3, 100000);
    for (int round = 0; round < 20000; ++round) {
        Bytes table(static_cast<std::size_t>(length(rng)));
        for (auto& b : table) {
            b = static_cast<std::uint8_t>(byte(rng));
        }
        const int firstLine = round % 50 == 0 ? INT_MAX - 3 : first(rng);
        for (const auto format : kAllFormats) {
            const int at = offset(rng);
            const auto result = lineForOffset(format, table, firstLine, at);
            (void)result;
            EXPECT_EQ(lineForLasti(format, table, firstLine, -2), firstLine);
        }
    }
}

// Bit 7 set on every byte: every byte is an entry head, and codes 13/14 find
// their varint cut short by the next head.
TEST(LineTableGarbage, AllHeadsTerminate)
{
    for (int value = 0x80; value <= 0xff; ++value) {
        const Bytes table(64, static_cast<std::uint8_t>(value));
        for (int at = -2; at < 1100; at += 7) {
            (void)lineForOffset(LineTableFormat::Locations311, table, 1, at);
        }
    }
}

// Cutting a valid table short never invents a line: each offset answers the
// same as with the whole table, or nothing.
TEST(LineTableGarbage, TruncationNeverInventsALine)
{
    Bytes loc;
    noColumnEntry(loc, 3, 2);
    longEntry(loc, 70, 3, 1, 12, 40);
    noLocationEntry(loc, 1);
    shortEntry(loc, 4, 8);
    noColumnEntry(loc, -71, 1);
    oneLineEntry(loc, 2, 4);
    const Bytes lt{6, 0, 0, 100, 4, 1, 2, signedByte(-128), 8, signedByte(-3), 2, 0};
    const struct {
        LineTableFormat format;
        const Bytes& table;
    } cases[] = {{LineTableFormat::Locations311, loc}, {LineTableFormat::Linetable310, lt}};
    for (const auto& c : cases) {
        for (std::size_t cut = 0; cut <= c.table.size(); ++cut) {
            const Bytes prefix(c.table.begin(), c.table.begin() + static_cast<std::ptrdiff_t>(cut));
            for (int at = 0; at < 64; ++at) {
                const auto partial = lineForOffset(c.format, prefix, 10, at);
                if (partial) {
                    EXPECT_EQ(partial, lineForOffset(c.format, c.table, 10, at)) << "cut " << cut << " at " << at;
                }
            }
        }
    }
}

}  // namespace
}  // namespace pyautopsy::runtime
