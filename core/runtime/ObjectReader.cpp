#include "runtime/ObjectReader.h"

#include <algorithm>

namespace pyautopsy::runtime {
namespace {

void appendUtf8(std::string& out, std::uint32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;  // lone surrogates cannot be UTF-8
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::uint64_t ObjectReader::typeOf(std::uint64_t object) const
{
    return m_memory.readPointer(object + static_cast<std::uint64_t>(m_runtime.layout.object.ob_type));
}

std::uint64_t ObjectReader::typeFlags(std::uint64_t type) const
{
    return m_memory.read<std::uint64_t>(type + static_cast<std::uint64_t>(m_runtime.layout.type.tp_flags));
}

std::optional<std::string> ObjectReader::typeName(std::uint64_t type) const
{
    if (type == 0) return std::nullopt;
    std::uint64_t name = 0;
    if (m_memory.readSome(type + static_cast<std::uint64_t>(m_runtime.layout.type.tp_name), &name, sizeof name) !=
            sizeof name ||
        name == 0)
        return std::nullopt;
    std::string text = m_memory.readCString(name, 256);
    if (text.empty()) return std::nullopt;
    return text;
}

std::optional<std::string> ObjectReader::readString(std::uint64_t object) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0) return std::nullopt;
    if ((typeFlags(typeOf(object)) & kTpFlagsUnicodeSubclass) == 0) return std::nullopt;

    auto length = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.unicode_length));
    auto state = m_memory.read<std::uint32_t>(object + static_cast<std::uint64_t>(o.unicode_state));
    if (length < 0) return std::nullopt;
    unsigned kind = (state >> 2) & 7;
    bool compact = (state >> 5) & 1;
    bool ascii = (state >> 6) & 1;

    std::uint64_t data = 0;
    if (kind == 0 && m_runtime.caps.unicodeWstr) {
        // A legacy string that was never made "ready": its text is only in wstr (UCS4 on Linux).
        data = m_memory.readPointer(object + static_cast<std::uint64_t>(o.unicode_wstr));
        length = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.unicode_wstr_length));
        kind = 4;
    } else if (kind != 1 && kind != 2 && kind != 4) {
        return std::nullopt;
    } else if (compact) {
        data = object + static_cast<std::uint64_t>(ascii ? o.unicode_ascii_size : o.unicode_compact_size);
    } else {
        data = m_memory.readPointer(object + static_cast<std::uint64_t>(o.unicode_data_any));
    }
    if (data == 0) return std::nullopt;

    std::size_t limit = m_limits.maxStringBytes;
    std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(length), limit);
    std::vector<std::uint8_t> raw(count * kind);
    m_memory.readBytes(data, raw.data(), raw.size());

    std::string out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t cp = 0;
        switch (kind) {
        case 1: cp = raw[i]; break;
        case 2: cp = static_cast<std::uint32_t>(raw[2 * i] | (raw[2 * i + 1] << 8)); break;
        default:
            cp = static_cast<std::uint32_t>(raw[4 * i]) | static_cast<std::uint32_t>(raw[4 * i + 1]) << 8 |
                 static_cast<std::uint32_t>(raw[4 * i + 2]) << 16 | static_cast<std::uint32_t>(raw[4 * i + 3]) << 24;
        }
        appendUtf8(out, cp);
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> ObjectReader::readBytes(std::uint64_t object, std::size_t maxBytes) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0 || (typeFlags(typeOf(object)) & kTpFlagsBytesSubclass) == 0) return std::nullopt;
    auto size = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.bytes_size));
    if (size < 0 || static_cast<std::uint64_t>(size) > maxBytes) return std::nullopt;
    return m_memory.readBlock(object + static_cast<std::uint64_t>(o.bytes_sval), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> ObjectReader::readSmallInt(std::uint64_t object) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0 || (typeFlags(typeOf(object)) & kTpFlagsLongSubclass) == 0) return std::nullopt;
    auto word = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.long_size));
    std::uint64_t ndigits = 0;
    bool negative = false;
    if (m_runtime.caps.longTag) {
        auto tag = static_cast<std::uint64_t>(word);
        ndigits = tag >> 3;
        negative = (tag & 3) == 2;
        if ((tag & 3) == 1) return 0;
    } else {
        negative = word < 0;
        ndigits = static_cast<std::uint64_t>(negative ? -word : word);
    }
    if (ndigits > 2) return std::nullopt;   // 2 x 30 bits always fits; 3 digits may not
    std::uint64_t value = 0;
    for (std::uint64_t i = ndigits; i-- > 0;) {
        auto digit = m_memory.read<std::uint32_t>(object + static_cast<std::uint64_t>(o.long_digits) + 4 * i);
        value = (value << 30) | (digit & 0x3FFFFFFF);
    }
    auto signedValue = static_cast<std::int64_t>(value);
    return negative ? -signedValue : signedValue;
}

std::optional<std::vector<std::uint64_t>> ObjectReader::readTupleItems(std::uint64_t object) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0 || (typeFlags(typeOf(object)) & kTpFlagsTupleSubclass) == 0) return std::nullopt;
    auto size = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.tuple_size));
    if (size < 0) return std::nullopt;
    std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(size), m_limits.maxContainerItems);
    std::vector<std::uint64_t> items(count);
    m_memory.readBytes(object + static_cast<std::uint64_t>(o.tuple_items), items.data(), count * sizeof(std::uint64_t));
    return items;
}

bool ObjectReader::isCodeObject(std::uint64_t object) const
{
    if (object == 0) return false;
    std::uint64_t type = 0;
    if (m_memory.readSome(object + static_cast<std::uint64_t>(m_runtime.layout.object.ob_type), &type, sizeof type) !=
        sizeof type)
        return false;
    if (m_runtime.objects.codeType) return type == *m_runtime.objects.codeType;
    // Without the binary we cannot know &PyCode_Type; the type's name is in the
    // binary's .rodata too, so it may be unreadable. Then judge by shape: a code
    // object's name and filename are str objects.
    if (auto name = typeName(type)) return *name == "code";
    const auto& c = m_runtime.layout.code;
    try {
        auto isStr = [&](Offset field) {
            std::uint64_t value = m_memory.readPointer(object + static_cast<std::uint64_t>(field));
            return value != 0 && (typeFlags(typeOf(value)) & kTpFlagsUnicodeSubclass) != 0;
        };
        return isStr(c.co_name) && isStr(c.co_filename);
    } catch (const target::MemoryFault&) {
        return false;
    }
}

}  // namespace pyautopsy::runtime
