#include "runtime/code/ExceptionTable.h"

namespace pyautopsy::runtime {
namespace {

constexpr std::uint8_t kEntryStart = 0x80;
constexpr std::uint8_t kMore = 0x40;
constexpr std::uint8_t kBits = 0x3f;
constexpr int kMaxGroups = 6;   // 36 bits: more than any code object has code units

class Cursor {
public:
    explicit Cursor(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}

    bool atEnd() const { return m_pos >= m_bytes.size(); }
    bool atEntryStart() const { return !atEnd() && (m_bytes[m_pos] & kEntryStart) != 0; }

    std::optional<std::uint32_t> varint()
    {
        std::uint64_t value = 0;
        for (int groups = 0; groups < kMaxGroups; ++groups) {
            if (atEnd()) return std::nullopt;
            std::uint8_t byte = m_bytes[m_pos++];
            value = (value << 6) | (byte & kBits);
            if ((byte & kMore) == 0) {
                if (value > UINT32_MAX) return std::nullopt;
                return static_cast<std::uint32_t>(value);
            }
        }
        return std::nullopt;
    }

private:
    std::span<const std::uint8_t> m_bytes;
    std::size_t m_pos = 0;
};

}  // namespace

std::optional<ExceptionHandler> handlerAt(std::span<const std::uint8_t> table, std::uint32_t codeUnit)
{
    Cursor cursor(table);
    while (!cursor.atEnd()) {
        if (!cursor.atEntryStart()) return std::nullopt;
        auto start = cursor.varint();
        auto length = cursor.varint();
        auto target = cursor.varint();
        auto depthLasti = cursor.varint();
        if (!start || !length || !target || !depthLasti) return std::nullopt;
        // Entries are sorted by start: once past the instruction, nothing covers it.
        if (*start > codeUnit) return std::nullopt;
        if (codeUnit - *start < *length) {
            return ExceptionHandler{*start, *start + *length, *target, *depthLasti >> 1, (*depthLasti & 1) != 0};
        }
    }
    return std::nullopt;
}

std::optional<std::vector<ExceptionHandler>> allHandlers(std::span<const std::uint8_t> table,
                                                         std::size_t maxEntries)
{
    std::vector<ExceptionHandler> out;
    Cursor cursor(table);
    while (!cursor.atEnd()) {
        if (!cursor.atEntryStart() || out.size() >= maxEntries) return std::nullopt;
        auto start = cursor.varint();
        auto length = cursor.varint();
        auto target = cursor.varint();
        auto depthLasti = cursor.varint();
        if (!start || !length || !target || !depthLasti || *length > UINT32_MAX - *start) return std::nullopt;
        out.push_back({*start, *start + *length, *target, *depthLasti >> 1, (*depthLasti & 1) != 0});
    }
    return out;
}

}  // namespace pyautopsy::runtime
