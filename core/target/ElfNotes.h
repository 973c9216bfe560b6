// ElfNotes: walking the entries of an ELF note area (PT_NOTE / SHT_NOTE bytes).
//
// Pure functions over byte spans, shared by executables (build-id), core files
// (NT_PRSTATUS and friends) and ELF headers read from target memory. A
// truncated or garbage entry ends the walk; nothing past it is trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pyautopsy::target {

struct ElfNote {
    std::string_view name;             // owner without its NUL, e.g. "CORE", "GNU"
    std::uint32_t type = 0;
    std::span<const std::uint8_t> desc;
};

// Calls `visit` for each complete note; stops early when `visit` returns false.
// `alignment` is the segment's p_align: 8 for some GNU property notes, else 4.
void forEachNote(std::span<const std::uint8_t> area, std::uint64_t alignment,
                 const std::function<bool(const ElfNote&)>& visit);

// The NT_GNU_BUILD_ID note in `area`, as lowercase hex.
std::optional<std::string> findBuildId(std::span<const std::uint8_t> area, std::uint64_t alignment);

std::string toHex(std::span<const std::uint8_t> bytes);

}  // namespace pyautopsy::target
