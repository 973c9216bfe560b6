// handlerAt() against tables that real interpreters compiled, decoded the
// way dis._parse_exception_table shows them (dis prints bytes; the table and
// handlerAt count 2-byte code units), and against malformed bytes.
#include "runtime/code/ExceptionTable.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pyautopsy::runtime {
namespace {

std::vector<std::uint8_t> fromHex(const std::string& hex)
{
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

// def transfer(lock_a, lock_b, ev):
//     with lock_a:
//         ev.set()
//         try:
//             lock_b.acquire()
//         except ValueError:
//             pass
// compiled by 3.12.1; dis: (6, 40, 122, 1, lasti) (42, 74, 92, 1) (92, 110, 116, 2, lasti)
// (110, 114, 122, 1, lasti) (114, 116, 116, 2, lasti) (116, 122, 122, 1, lasti) (122, 132, 140, 3, lasti)
const std::vector<std::uint8_t> k312 = fromHex("83113d0395102e02ae093a05b7023d03b9013a05ba033d03bd05410607");
// The same function compiled by 3.14.10, whose with-blocks keep __exit__ and
// self as two slots: (22, 56, 144, 2, lasti) (58, 90, 110, 2) ... (144, 166, 178, 4, lasti)
const std::vector<std::uint8_t> k314 =
    fromHex("8b114108059d103704b70b410507c10202410805c10401410507c10503410805c1080b411909");

TEST(ExceptionTable, FindsTheWithBlockHandler)
{
    auto h = handlerAt(k312, 3);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->start, 3u);
    EXPECT_EQ(h->end, 20u);
    EXPECT_EQ(h->target, 61u);
    EXPECT_EQ(h->depth, 1u);
    EXPECT_TRUE(h->lasti);

    h = handlerAt(k314, 27);   // byte 54, inside (22, 56)
    ASSERT_TRUE(h);
    EXPECT_EQ(h->target, 72u);
    EXPECT_EQ(h->depth, 2u);
}

TEST(ExceptionTable, FindsTheInnermostHandlerOfANestedTry)
{
    auto h = handlerAt(k312, 21);   // byte 42: lock_b.acquire() inside try, inside with
    ASSERT_TRUE(h);
    EXPECT_EQ(h->target, 46u);
    EXPECT_EQ(h->depth, 1u);
    EXPECT_FALSE(h->lasti);

    h = handlerAt(k312, 65);        // byte 130: the last entry
    ASSERT_TRUE(h);
    EXPECT_EQ(h->depth, 3u);
    EXPECT_EQ(h->target, 70u);
}

TEST(ExceptionTable, GapsAndTheEndHaveNoHandler)
{
    EXPECT_FALSE(handlerAt(k312, 0));
    EXPECT_FALSE(handlerAt(k312, 20));   // bytes 40..42: between two entries
    EXPECT_FALSE(handlerAt(k312, 66));
    EXPECT_FALSE(handlerAt(k314, 28));   // bytes 56..58
    EXPECT_FALSE(handlerAt({}, 0));
}

TEST(ExceptionTable, MalformedBytesEndTheSearch)
{
    std::vector<std::uint8_t> truncated(k312.begin(), k312.begin() + 3);
    EXPECT_FALSE(handlerAt(truncated, 3));
    // An entry that does not start with 0x80.
    EXPECT_FALSE(handlerAt(fromHex("03113d03"), 3));
    // A varint that never ends.
    std::vector<std::uint8_t> endless(64, 0x7f);
    endless[0] = 0xc1;
    EXPECT_FALSE(handlerAt(endless, 3));
    // The first entry is still found when a later one is broken.
    std::vector<std::uint8_t> broken = k312;
    broken[4] = 0x7f;
    EXPECT_TRUE(handlerAt(broken, 3));
}

}  // namespace
}  // namespace pyautopsy::runtime
