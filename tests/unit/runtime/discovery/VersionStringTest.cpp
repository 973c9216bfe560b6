#include "runtime/discovery/RuntimeLocator.h"

#include <gtest/gtest.h>

namespace pyautopsy::runtime {
namespace {

TEST(VersionString, PyGetVersionBufferGivesMajorMinorMicro)
{
    auto v = parseVersionString("3.12.1 (main, Jan  8 2024, 10:00:00) [GCC 12.2.0]");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->major, 3);
    EXPECT_EQ(v->minor, 12);
    EXPECT_EQ(v->micro, 1);
    v = parseVersionString("3.8.18+");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->minor, 8);
    EXPECT_EQ(v->micro, 18);
}

TEST(VersionString, AnythingElseIsNoVersion)
{
    EXPECT_FALSE(parseVersionString(""));
    EXPECT_FALSE(parseVersionString("3.12"));
    EXPECT_FALSE(parseVersionString("3..1"));
    EXPECT_FALSE(parseVersionString("13.1.0"));
    EXPECT_FALSE(parseVersionString(" 3.12.1"));
    EXPECT_FALSE(parseVersionString("3.99999999999999999999.1"));   // does not fit: no version, no throw
}

}  // namespace
}  // namespace pyautopsy::runtime
