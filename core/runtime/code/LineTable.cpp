// LineTable: decoders for the three line-table formats of CPython 3.8–3.15,
// written from the format descriptions in docs/cpython-internals.md §5.2–§5.4.
//
// Each decoder walks the table once from the start, keeping the running line
// in 64 bits so garbage cannot overflow it; a line that no longer fits in an
// int is treated as malformed input.
#include "runtime/code/LineTable.h"

#include <cstddef>
#include <limits>

namespace pyautopsy::runtime {

namespace {

using Table = std::span<const std::uint8_t>;

constexpr std::int64_t kMinLine = std::numeric_limits<int>::min();
constexpr std::int64_t kMaxLine = std::numeric_limits<int>::max();

bool fitsInt(std::int64_t line) { return line >= kMinLine && line <= kMaxLine; }

std::int64_t signedByte(std::uint8_t byte) { return static_cast<std::int8_t>(byte); }

// 3.8/3.9: (address delta, line delta) pairs. The line applies from the
// address the pair reaches; walking stops at the first address past the
// target offset. A trailing odd byte is not a pair and is ignored.
std::optional<int> lnotabLine(Table table, int firstLineNo, int byteOffset)
{
    std::int64_t line = firstLineNo;
    std::int64_t addr = 0;
    for (std::size_t pos = 0; pos + 1 < table.size(); pos += 2) {
        addr += table[pos];
        if (addr > byteOffset) {
            break;
        }
        line += signedByte(table[pos + 1]);
        if (!fitsInt(line)) {
            return std::nullopt;
        }
    }
    return static_cast<int>(line);
}

// 3.10: (range length, line delta) pairs describing consecutive ranges
// [end, end + length). A delta of -128 marks the range as having no line and
// leaves the running line untouched. Zero-length ranges never match.
std::optional<int> linetable310Line(Table table, int firstLineNo, int byteOffset)
{
    constexpr std::int64_t kNoLine = -128;
    if (byteOffset < 0) {
        return std::nullopt;
    }
    std::int64_t line = firstLineNo;
    std::int64_t end = 0;
    for (std::size_t pos = 0; pos + 1 < table.size(); pos += 2) {
        end += table[pos];
        const std::int64_t delta = signedByte(table[pos + 1]);
        if (delta != kNoLine) {
            line += delta;
            if (!fitsInt(line)) {
                return std::nullopt;
            }
        }
        if (byteOffset < end) {
            if (delta == kNoLine) {
                return std::nullopt;
            }
            return static_cast<int>(line);
        }
    }
    return std::nullopt;
}

// 3.11+ varints: 6-bit groups, least significant first, 0x40 = more follows.
// Every byte after an entry's first has bit 7 clear, so a byte with bit 7 set
// inside a varint means the varint is truncated. CPython writes 32-bit
// values, so more than six groups or a value above 32 bits is malformed.
class VarintReader {
public:
    VarintReader(Table table, std::size_t pos) : m_table(table), m_pos(pos) {}

    std::optional<std::uint32_t> readVarint()
    {
        constexpr unsigned kMaxGroups = 6;
        std::uint64_t value = 0;
        for (unsigned group = 0; group < kMaxGroups; ++group) {
            if (m_pos >= m_table.size()) {
                return std::nullopt;
            }
            const std::uint8_t byte = m_table[m_pos++];
            if ((byte & 0x80) != 0) {
                return std::nullopt;
            }
            value |= static_cast<std::uint64_t>(byte & 0x3f) << (6 * group);
            if ((byte & 0x40) == 0) {
                if (value > std::numeric_limits<std::uint32_t>::max()) {
                    return std::nullopt;
                }
                return static_cast<std::uint32_t>(value);
            }
        }
        return std::nullopt;
    }

    // Sign in bit 0, magnitude in the remaining bits.
    std::optional<std::int64_t> readSvarint()
    {
        const auto raw = readVarint();
        if (!raw) {
            return std::nullopt;
        }
        const std::int64_t magnitude = *raw >> 1;
        return (*raw & 1) != 0 ? -magnitude : magnitude;
    }

    std::size_t position() const { return m_pos; }

private:
    Table m_table;
    std::size_t m_pos;
};

// 3.11+: entries whose first byte has bit 7 set, code in bits 3–6 and
// length-1 (in 2-byte code units) in bits 0–2. Only the line delta matters
// here; the column bytes that follow are skipped by resynchronising on the
// next byte with bit 7 set, which is what the format's bit 7 rule is for.
std::optional<int> locations311Line(Table table, int firstLineNo, int byteOffset)
{
    constexpr unsigned kShortLast = 9;
    constexpr unsigned kOneLine0 = 10;
    constexpr unsigned kOneLineLast = 12;
    constexpr unsigned kNoColumn = 13;
    constexpr unsigned kLong = 14;
    constexpr unsigned kNoLocation = 15;
    constexpr std::int64_t kCodeUnitBytes = 2;

    if (byteOffset < 0) {
        return std::nullopt;
    }
    std::int64_t line = firstLineNo;
    std::int64_t end = 0;
    std::size_t pos = 0;
    while (pos < table.size()) {
        const std::uint8_t first = table[pos++];
        if ((first & 0x80) == 0) {
            return std::nullopt;  // not at an entry boundary: garbage
        }
        const unsigned code = (first >> 3) & 0x0f;
        end += kCodeUnitBytes * ((first & 0x07) + 1);

        bool hasLine = true;
        if (code <= kShortLast) {
            // Same line, one column byte follows.
        } else if (code <= kOneLineLast) {
            line += code - kOneLine0;
        } else if (code == kNoColumn || code == kLong) {
            VarintReader reader(table, pos);
            const auto delta = reader.readSvarint();
            if (!delta) {
                return std::nullopt;
            }
            line += *delta;
            pos = reader.position();
        } else if (code == kNoLocation) {
            hasLine = false;
        }
        if (!fitsInt(line)) {
            return std::nullopt;
        }
        if (byteOffset < end) {
            if (!hasLine) {
                return std::nullopt;
            }
            return static_cast<int>(line);
        }
        while (pos < table.size() && (table[pos] & 0x80) == 0) {
            ++pos;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<LineTableFormat> lineTableFormatFor(int major, int minor)
{
    if (major != 3 || minor < 8) {
        return std::nullopt;
    }
    if (minor <= 9) {
        return LineTableFormat::Lnotab38;
    }
    if (minor == 10) {
        return LineTableFormat::Linetable310;
    }
    return LineTableFormat::Locations311;
}

std::optional<int> lineForOffset(LineTableFormat format, std::span<const std::uint8_t> table,
                                 int firstLineNo, int byteOffset)
{
    switch (format) {
    case LineTableFormat::Lnotab38: return lnotabLine(table, firstLineNo, byteOffset);
    case LineTableFormat::Linetable310: return linetable310Line(table, firstLineNo, byteOffset);
    case LineTableFormat::Locations311: return locations311Line(table, firstLineNo, byteOffset);
    }
    return std::nullopt;
}

std::optional<int> lineForLasti(LineTableFormat format, std::span<const std::uint8_t> table,
                                int firstLineNo, int byteOffset)
{
    if (byteOffset < 0) {
        return firstLineNo;
    }
    return lineForOffset(format, table, firstLineNo, byteOffset);
}

}  // namespace pyautopsy::runtime
