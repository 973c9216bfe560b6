#include "batch/LogScanner.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pyautopsy::batch {
namespace {

std::vector<LogDump> scan(const std::string& text)
{
    std::istringstream in(text);
    return scanLog(in, "ci.log");
}

TEST(LogScanner, FatalErrorWithFaulthandlerDump)
{
    const auto dumps = scan("collected 3 items\n"
                            "Fatal Python error: Aborted\n"
                            "\n"
                            "Thread 0x00007f0000000700 (most recent call first):\n"
                            "  File \"/src/w.py\", line 5 in spin\n"
                            "\n"
                            "Current thread 0x00007f00000010c0 (most recent call first):\n"
                            "  File \"/src/t.py\", line 9 in test_crash\n"
                            "\n"
                            "Extension modules: _testcapi (total: 1)\n"
                            "FAILED tests/test_x.py\n");
    ASSERT_EQ(dumps.size(), 1u);
    EXPECT_EQ(dumps[0].line, 2u);
    EXPECT_EQ(dumps[0].error, "Fatal Python error: Aborted");
    EXPECT_EQ(dumps[0].currentThread, 0x00007f00000010c0u);
    EXPECT_EQ(dumps[0].threads, (std::vector<std::uint64_t>{0x00007f00000010c0u, 0x00007f0000000700u}));
    EXPECT_NE(dumps[0].text.find("line 9 in test_crash"), std::string::npos);
    EXPECT_EQ(dumps[0].text.find("FAILED"), std::string::npos);
}

TEST(LogScanner, TimestampPrefixesAndTwoDumps)
{
    const auto dumps = scan("2024-05-01T10:00:00.1Z Fatal Python error: Segmentation fault\n"
                            "2024-05-01T10:00:00.1Z \n"
                            "2024-05-01T10:00:00.1Z Current thread 0x00007fab (most recent call first):\n"
                            "2024-05-01T10:00:00.1Z   <no Python frame>\n"
                            "2024-05-01T10:00:01.0Z some other output\n"
                            "Current thread 0x0000000000000abc (most recent call first):\n"
                            "  File \"x.py\", line 1 in <module>\n");
    ASSERT_EQ(dumps.size(), 2u);
    EXPECT_EQ(dumps[0].currentThread, 0x7fabu);
    EXPECT_EQ(dumps[0].text.find("2024"), std::string::npos);
    EXPECT_FALSE(dumps[1].error);
    EXPECT_EQ(dumps[1].currentThread, 0xabcu);
    EXPECT_EQ(dumps[1].line, 6u);
}

TEST(LogScanner, AttachesByThreadIdent)
{
    std::vector<CoreResult> cores(2);
    cores[0].report = {{"threads", {{{"thread_id", 1}}, {{"thread_id", 2}}}}};
    cores[1].report = {{"threads", {{{"thread_id", 0xabc}}}}};
    const auto unmatched = attachLogDumps(cores, scan("Current thread 0xabc (most recent call first):\n"
                                                      "  File \"x.py\", line 1 in <module>\n\n\n"
                                                      "Current thread 0xdef (most recent call first):\n"));
    EXPECT_TRUE(cores[0].logs.empty());
    ASSERT_EQ(cores[1].logs.size(), 1u);
    ASSERT_EQ(unmatched.size(), 1u);
    EXPECT_EQ(unmatched[0].currentThread, 0xdefu);
}

TEST(LogScanner, HugeDumpIsBounded)
{
    std::string text = "Current thread 0x1 (most recent call first):\n";
    for (int i = 0; i < 5000; ++i) text += "  File \"x.py\", line 1 in f\n";
    const auto dumps = scan(text);
    ASSERT_EQ(dumps.size(), 1u);
    EXPECT_LE(std::count(dumps[0].text.begin(), dumps[0].text.end(), '\n'), static_cast<long>(kMaxDumpLines));
}

}  // namespace
}  // namespace pyautopsy::batch
