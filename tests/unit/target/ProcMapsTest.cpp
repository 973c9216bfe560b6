#include "target/ProcMaps.h"

#include <gtest/gtest.h>

using namespace pyautopsy::target;

TEST(ProcMaps, ParsesFileBackedAnonymousAndPseudoMappings)
{
    const char* text =
        "00400000-0041f000 r--p 00000000 fe:01 1234    /usr/bin/python3.11\n"
        "0041f000-006cf000 r-xp 0001f000 fe:01 1234    /usr/bin/python3.11\n"
        "0183e000-018e0000 rw-p 00000000 00:00 0          [heap]\n"
        "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
        "7f0000001000-7f0000002000 r--s 00002000 00:05 99   /tmp/a file with spaces (deleted)\n"
        "garbage line\n"
        "7ffe00000000-7ffe00021000 rw-p 00000000 00:00 0                          [stack]";
    auto maps = parseProcMaps(text);
    ASSERT_EQ(maps.size(), 6u);
    EXPECT_EQ(maps[0].start, 0x400000u);
    EXPECT_EQ(maps[0].path, "/usr/bin/python3.11");
    EXPECT_FALSE(maps[0].executable);
    EXPECT_TRUE(maps[1].executable);
    EXPECT_EQ(maps[1].fileOffset, 0x1f000u);
    EXPECT_EQ(maps[2].path, "[heap]");
    EXPECT_TRUE(maps[2].writable);
    EXPECT_EQ(maps[3].path, "");
    EXPECT_EQ(maps[4].path, "/tmp/a file with spaces (deleted)");
    EXPECT_EQ(maps[5].end, 0x7ffe00021000u);
}
