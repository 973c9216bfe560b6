#include "batch/CoreName.h"

#include <gtest/gtest.h>

namespace pyautopsy::batch {
namespace {

TEST(CoreName, PlainCoreHasNoPid)
{
    const CoreName name = parseCoreName("core");
    EXPECT_EQ(name.style, NameStyle::Plain);
    EXPECT_FALSE(name.pid);
}

TEST(CoreName, CoreDotPid)
{
    const CoreName name = parseCoreName("core.12345");
    EXPECT_EQ(name.style, NameStyle::CorePid);
    EXPECT_EQ(name.pid, 12345);
    EXPECT_EQ(name.compression, Compression::None);
}

TEST(CoreName, NamePidCoreKeepsDotsInTheName)
{
    const CoreName name = parseCoreName("python3.12.4711.core");
    EXPECT_EQ(name.style, NameStyle::NamePidCore);
    EXPECT_EQ(name.pid, 4711);
    EXPECT_EQ(name.command, "python3.12");
}

TEST(CoreName, SystemdCoredumpReadFromTheRight)
{
    const CoreName name =
        parseCoreName("core.python3\\x2e12.1000.0123456789abcdef0123456789abcdef.3141.1700000000000000.zst");
    EXPECT_EQ(name.style, NameStyle::Systemd);
    EXPECT_EQ(name.pid, 3141);
    EXPECT_EQ(name.command, "python3\\x2e12");
    EXPECT_EQ(name.compression, Compression::Zstd);
}

TEST(CoreName, SystemdCommWithDots)
{
    const CoreName name = parseCoreName("core.my.app.0.0123456789abcdef0123456789abcdef.77.1.lz4");
    EXPECT_EQ(name.style, NameStyle::Systemd);
    EXPECT_EQ(name.pid, 77);
    EXPECT_EQ(name.command, "my.app");
    EXPECT_EQ(name.compression, Compression::Lz4);
}

TEST(CoreName, CompressionSuffixes)
{
    EXPECT_EQ(parseCoreName("core.1.xz").compression, Compression::Xz);
    EXPECT_EQ(parseCoreName("core.1.gz").compression, Compression::Gzip);
    EXPECT_EQ(parseCoreName("core.1.gz").pid, 1);
    EXPECT_EQ(parseCoreName("core.gz").style, NameStyle::Plain);
}

TEST(CoreName, NotCoreNames)
{
    for (const char* name : {"core.py", "core.", "corefile", "core.12a", "notes.txt", "core.-5", "core.0",
                             "x.core", "a.b.core", "core.99999999999", "core.a.1.shortbootid.2.3"}) {
        EXPECT_EQ(parseCoreName(name).style, NameStyle::NotACoreName) << name;
        EXPECT_FALSE(parseCoreName(name).pid) << name;
    }
}

}  // namespace
}  // namespace pyautopsy::batch
