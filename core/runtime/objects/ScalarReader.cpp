#include "runtime/objects/ScalarReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/repr/ReprFormat.h"

#include <algorithm>
#include <cstdint>

namespace pyautopsy::runtime {

std::optional<LongValue> readLong(const ObjectReader& reader, std::uint64_t object, std::size_t maxDigits)
{
    const auto& o = reader.runtime().layout.object;
    const auto& memory = reader.memory();
    auto word = readField<std::int64_t>(memory, object, o.long_size);
    auto header = reader.runtime().caps.longTag ? encoding::decodeLongTag(static_cast<std::uint64_t>(word))
                                                : encoding::decodeLongSize(word);
    if (!header || header->digitCount > maxDigits) return std::nullopt;
    LongValue value;
    value.negative = header->negative;
    value.digits.resize(header->digitCount);
    if (!value.digits.empty()) {
        memory.readBytes(fieldAddress(object, o.long_digits), value.digits.data(),
                         value.digits.size() * sizeof(std::uint32_t));
    }
    for (auto& d : value.digits) d &= encoding::kLongDigitMask;
    return value;
}

std::optional<std::int64_t> toInt64(const LongValue& value)
{
    // Three 30-bit digits hold 90 bits: the top one must fit in the 4 bits left of 64.
    constexpr unsigned kTopBits = 64 - 2 * encoding::kLongDigitBits;
    if (value.digits.size() > 3 || (value.digits.size() == 3 && value.digits[2] >= (1u << kTopBits)))
        return std::nullopt;
    std::uint64_t magnitude = 0;
    for (std::size_t i = value.digits.size(); i-- > 0;) magnitude = (magnitude << encoding::kLongDigitBits) | value.digits[i];
    const std::uint64_t limit = static_cast<std::uint64_t>(INT64_MAX) + (value.negative ? 1 : 0);
    if (magnitude > limit) return std::nullopt;
    return value.negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
}

std::optional<StrValue> readStr(const ObjectReader& reader, std::uint64_t object, std::size_t maxChars)
{
    const auto& rt = reader.runtime();
    const auto& o = rt.layout.object;
    const auto& memory = reader.memory();
    auto length = readField<std::int64_t>(memory, object, o.unicode_length);
    const auto state = encoding::decodeUnicodeState(readField<std::uint32_t>(memory, object, o.unicode_state));
    unsigned kind = state.kind;

    std::uint64_t data = 0;
    if (kind == 0 && rt.caps.unicodeWstr) {
        // A legacy string never made "ready": the text is only in wstr (UCS4 on Linux).
        data = readPointerField(memory, object, o.unicode_wstr);
        length = readField<std::int64_t>(memory, object, o.unicode_wstr_length);
        kind = 4;
    } else if (kind != 1 && kind != 2 && kind != 4) {
        return std::nullopt;
    } else if (state.compact) {
        data = fieldAddress(object, state.ascii ? o.unicode_ascii_size : o.unicode_compact_size);
    } else {
        data = readPointerField(memory, object, o.unicode_data_any);   // e.g. instances of str subclasses
    }
    if (length < 0 || (data == 0 && length > 0)) return std::nullopt;

    StrValue value;
    const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(length), maxChars);
    value.truncated = count < static_cast<std::size_t>(length);
    std::vector<std::uint8_t> raw(count * kind);
    if (!raw.empty()) memory.readBytes(data, raw.data(), raw.size());
    value.text.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = raw.data() + i * kind;
        char32_t cp = p[0];
        if (kind >= 2) cp |= static_cast<char32_t>(p[1]) << 8;
        if (kind == 4) cp |= static_cast<char32_t>(p[2]) << 16 | static_cast<char32_t>(p[3]) << 24;
        value.text += cp;
    }
    return value;
}

std::optional<std::int64_t> readyStrLength(const ObjectReader& reader, std::uint64_t object)
{
    const auto& o = reader.runtime().layout.object;
    const auto state = encoding::decodeUnicodeState(readField<std::uint32_t>(reader.memory(), object, o.unicode_state));
    if (state.kind != 1 && state.kind != 2 && state.kind != 4) return std::nullopt;
    return readField<std::int64_t>(reader.memory(), object, o.unicode_length);
}

std::optional<std::string> readStrUtf8(const ObjectReader& reader, std::uint64_t object, std::size_t maxChars)
{
    auto value = readStr(reader, object, maxChars);
    if (!value) return std::nullopt;
    std::string out;
    for (char32_t cp : value->text) {
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
        repr::appendUtf8(out, cp);
    }
    return out;
}

}  // namespace pyautopsy::runtime
