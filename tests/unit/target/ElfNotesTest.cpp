#include "target/ElfNotes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace pyautopsy::target;

namespace {

void appendNote(std::vector<std::uint8_t>& area, const std::string& name, std::uint32_t type,
                const std::vector<std::uint8_t>& desc)
{
    auto pad = [&] { while (area.size() % 4 != 0) area.push_back(0); };
    std::uint32_t header[3] = {static_cast<std::uint32_t>(name.size() + 1),
                               static_cast<std::uint32_t>(desc.size()), type};
    const auto* raw = reinterpret_cast<const std::uint8_t*>(header);
    area.insert(area.end(), raw, raw + sizeof header);
    area.insert(area.end(), name.begin(), name.end());
    area.push_back(0);
    pad();
    area.insert(area.end(), desc.begin(), desc.end());
    pad();
}

}  // namespace

TEST(ElfNotes, FindsBuildIdAfterOtherNotes)
{
    std::vector<std::uint8_t> area;
    appendNote(area, "GNU", 5, {1, 2, 3, 4, 5, 6, 7, 8});
    appendNote(area, "GNU", 3, {0xc5, 0x61, 0xf3, 0xaa, 0x00});
    EXPECT_EQ(findBuildId(area, 4), "c561f3aa00");
}

TEST(ElfNotes, VisitsEveryNoteWithItsOwner)
{
    std::vector<std::uint8_t> area;
    appendNote(area, "CORE", 1, std::vector<std::uint8_t>(10, 7));
    appendNote(area, "LINUX", 0x202, {});
    std::vector<std::string> seen;
    forEachNote(area, 4, [&](const ElfNote& note) {
        seen.push_back(std::string(note.name) + ":" + std::to_string(note.type) + ":" + std::to_string(note.desc.size()));
        return true;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"CORE:1:10", "LINUX:514:0"}));
}

TEST(ElfNotes, TruncatedOrGarbageAreasEndTheWalk)
{
    std::vector<std::uint8_t> area;
    appendNote(area, "CORE", 1, std::vector<std::uint8_t>(40, 1));
    appendNote(area, "GNU", 3, {0xab});
    // Complete once the last descriptor byte is there: trailing padding is optional.
    const std::size_t complete = area.size() - 3;
    for (std::size_t cut = 0; cut < complete; ++cut) {
        std::size_t visits = 0;
        forEachNote(std::span(area.data(), cut), 4, [&](const ElfNote&) { return ++visits, true; });
        EXPECT_LE(visits, 1u) << "cut at " << cut;
        EXPECT_FALSE(findBuildId(std::span(area.data(), cut), 4)) << "cut at " << cut;
    }
    EXPECT_EQ(findBuildId(std::span(area.data(), complete), 4), "ab");
    std::vector<std::uint8_t> garbage(64, 0xff);  // sizes of 4 GiB
    std::size_t visits = 0;
    forEachNote(garbage, 4, [&](const ElfNote&) { return ++visits, true; });
    EXPECT_EQ(visits, 0u);
}
