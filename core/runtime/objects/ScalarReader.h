// ScalarReader: the raw value of an int or str object, for reprs and lookups.
//
// No type checks here: callers know the object's kind already (ObjectRepr
// classifies types once). Reads are bounded by the caller's maximum and
// throw target::MemoryFault like every Memory read.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

struct LongValue {
    bool negative = false;
    std::vector<std::uint32_t> digits;   // 30-bit digits, least significant first
};

// An int's sign and digits (every version's layout: ob_size sign before 3.12,
// lv_tag after, with 3.14's immortal bit ignored); nullopt if it has more than
// maxDigits digits.
std::optional<LongValue> readLong(const ObjectReader& reader, std::uint64_t object, std::size_t maxDigits);

// The value if it fits in 64 bits.
std::optional<std::int64_t> toInt64(const LongValue& value);

struct StrValue {
    std::u32string text;
    bool truncated = false;    // the string is longer than what was read
};

// A str's code points (1/2/4-byte kinds, compact or not, legacy wstr-only
// strings before 3.12), at most maxChars of them; nullopt if the header is
// inconsistent.
std::optional<StrValue> readStr(const ObjectReader& reader, std::uint64_t object, std::size_t maxChars);

// The code-point count of a "ready" str (1/2/4-byte kind), read from its
// header alone; nullopt for a legacy wstr-only string, whose count is not
// there. A cheap test before reading the text of every key of a dict.
std::optional<std::int64_t> readyStrLength(const ObjectReader& reader, std::uint64_t object);

// The same as UTF-8 (lone surrogates become U+FFFD), for names and keys.
std::optional<std::string> readStrUtf8(const ObjectReader& reader, std::uint64_t object, std::size_t maxChars);

}  // namespace pyautopsy::runtime
