#include "target/ElfNotes.h"

#include <cstring>

namespace pyautopsy::target {

namespace {

constexpr std::uint32_t kNtGnuBuildId = 3;
constexpr std::size_t kMaxBuildIdBytes = 64;  // SHA-1 is 20; anything huge is garbage

std::uint64_t alignUp(std::uint64_t value, std::uint64_t alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

}  // namespace

void forEachNote(std::span<const std::uint8_t> area, std::uint64_t alignment,
                 const std::function<bool(const ElfNote&)>& visit)
{
    alignment = alignment == 8 ? 8 : 4;
    std::uint64_t pos = 0;
    const std::uint64_t size = area.size();
    while (size - pos >= 12) {
        std::uint32_t header[3];
        std::memcpy(header, area.data() + pos, sizeof header);
        const std::uint64_t nameSize = header[0], descSize = header[1];
        const std::uint64_t nameStart = pos + 12;
        const std::uint64_t descStart = alignUp(nameStart + nameSize, alignment);
        if (descStart > size || descSize > size - descStart) return;  // truncated entry

        std::string_view name(reinterpret_cast<const char*>(area.data() + nameStart), nameSize);
        if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
        ElfNote note{name, header[2], area.subspan(descStart, descSize)};
        if (!visit(note)) return;
        pos = alignUp(descStart + descSize, alignment);
        if (pos > size) return;
    }
}

std::optional<std::string> findBuildId(std::span<const std::uint8_t> area, std::uint64_t alignment)
{
    std::optional<std::string> found;
    forEachNote(area, alignment, [&](const ElfNote& note) {
        if (note.name == "GNU" && note.type == kNtGnuBuildId && !note.desc.empty()
            && note.desc.size() <= kMaxBuildIdBytes) {
            found = toHex(note.desc);
            return false;
        }
        return true;
    });
    return found;
}

std::string toHex(std::span<const std::uint8_t> bytes)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (std::uint8_t byte : bytes) {
        hex.push_back(kDigits[byte >> 4]);
        hex.push_back(kDigits[byte & 0xf]);
    }
    return hex;
}

}  // namespace pyautopsy::target
