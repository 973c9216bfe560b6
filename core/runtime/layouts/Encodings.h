// Encodings: how CPython packs values into the fields the layouts locate.
//
// Layout.h says where a field is; this says what its bits mean: type flags,
// the kinds of a code object's local slots, _PyStackRef tags, an int's size
// word, a str's state bits, a dict's index width and entry shapes. Each is a
// pure function of bytes already read, so it is tested on plain buffers
// (tests/unit/runtime/layouts/EncodingsTest.cpp) and written once. Sources:
// docs/cpython-internals.md, which names the CPython header of each.
#pragma once

#include <cstdint>
#include <optional>

namespace pyautopsy::runtime::encoding {

// --- PyTypeObject.tp_flags (Include/object.h) ---------------------------------
inline constexpr std::uint64_t kTpFlagsInlineValues = 1ULL << 2;     // 3.13+
inline constexpr std::uint64_t kTpFlagsManagedDict = 1ULL << 4;      // 3.11+
inline constexpr std::uint64_t kTpFlagsHeapType = 1ULL << 9;
inline constexpr std::uint64_t kTpFlagsLongSubclass = 1ULL << 24;
inline constexpr std::uint64_t kTpFlagsListSubclass = 1ULL << 25;
inline constexpr std::uint64_t kTpFlagsTupleSubclass = 1ULL << 26;
inline constexpr std::uint64_t kTpFlagsBytesSubclass = 1ULL << 27;
inline constexpr std::uint64_t kTpFlagsUnicodeSubclass = 1ULL << 28;
inline constexpr std::uint64_t kTpFlagsDictSubclass = 1ULL << 29;
inline constexpr std::uint64_t kTpFlagsBaseExcSubclass = 1ULL << 30;
inline constexpr std::uint64_t kTpFlagsTypeSubclass = 1ULL << 31;

// --- co_localspluskinds, 3.11+ (Include/internal/pycore_code.h) ----------------
struct LocalKind {
    bool cell = false;     // CO_FAST_CELL or CO_FAST_FREE: the slot holds a cell
    bool hidden = false;   // CO_FAST_HIDDEN (3.12+): an inlined comprehension's variable
};
LocalKind decodeLocalKind(std::uint8_t kind);

// --- _PyStackRef, 3.14+ GIL builds (Include/internal/pycore_stackref.h) --------
// A word whose low two bits are 3 is a tagged int (no object); otherwise bit 0
// is a reference-ownership flag and the rest is the object pointer (1 alone is
// NULL).
struct StackRef {
    std::uint64_t object = 0;                 // 0 for NULL and for tagged ints
    std::optional<std::int64_t> taggedInt;
};
StackRef decodeStackRef(std::uint64_t word);

// --- PyLongObject's size word (Include/cpython/longintrepr.h) ------------------
inline constexpr unsigned kLongDigitBits = 30;
inline constexpr std::uint32_t kLongDigitMask = (1u << kLongDigitBits) - 1;
struct LongHeader {
    bool negative = false;
    std::uint64_t digitCount = 0;             // 0 for zero
};
// <= 3.11: ob_size, the digit count with the number's sign.
LongHeader decodeLongSize(std::int64_t obSize);
// 3.12+: lv_tag = digit count << 3 | sign (0 positive, 1 zero, 2 negative);
// bit 2 is 3.14's immortal marker. nullopt for the invalid sign 3.
std::optional<LongHeader> decodeLongTag(std::uint64_t lvTag);

// --- PyASCIIObject.state (Include/cpython/unicodeobject.h) ---------------------
struct UnicodeState {
    unsigned kind = 0;      // bytes per code point (1, 2, 4); 0 = a legacy string not yet ready (<= 3.11)
    bool compact = false;   // the text follows the header
    bool ascii = false;     // ... directly after PyASCIIObject
};
// The state word's layout (interned bits, then kind, compact, ascii) has been
// the same from 3.8 to 3.15 on x86_64.
UnicodeState decodeUnicodeState(std::uint32_t state);

// --- dict keys (Objects/dictobject.c, Include/internal/pycore_dict.h) ----------
struct DictEntryShape {
    std::uint64_t size = 0;          // bytes per entry
    std::uint64_t keyOffset = 0;
    std::uint64_t valueOffset = 0;
};
// <= 3.10: every entry is {hash, key, value}; the indices are as wide as the
// table needs (1, 2, 4 or 8 bytes per slot).
inline constexpr DictEntryShape kClassicDictEntry{24, 8, 16};
std::uint64_t classicIndexWidth(std::uint64_t slots);
// 3.11+: dk_kind 0 (DICT_KEYS_GENERAL) keeps {hash, key, value}; the str-only
// kinds 1 and 2 keep {key, value}. nullopt for any other kind.
std::optional<DictEntryShape> kindedDictEntry(std::uint8_t kind);

// The managed-dict word of 3.12: an odd word is a values pointer minus one.
inline bool isTaggedValues(std::uint64_t word) { return (word & 1) != 0; }
inline std::uint64_t taggedValuesPointer(std::uint64_t word) { return word + 1; }

}  // namespace pyautopsy::runtime::encoding
