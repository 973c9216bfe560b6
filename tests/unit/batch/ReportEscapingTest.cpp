#include "batch/formats/JUnitReport.h"
#include "batch/formats/MarkdownReport.h"

#include <gtest/gtest.h>

namespace pyautopsy::batch {
namespace {

TEST(JUnitEscaping, MarkupAndQuotes)
{
    EXPECT_EQ(xmlEscape(R"(<module> & "x" 'y')"), "&lt;module&gt; &amp; &quot;x&quot; &apos;y&apos;");
}

TEST(JUnitEscaping, ControlCharactersXmlCannotCarry)
{
    EXPECT_EQ(xmlEscape(std::string("a\x01" "b\x1b" "c\td\n", 8)), "a\\x01b\\x1bc\td\n");
    EXPECT_EQ(xmlEscape(std::string("nul\0", 4)), "nul\\x00");
    EXPECT_EQ(xmlEscape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
}

TEST(JUnitReport, SuiteCountsGroupsAndUnreadableCores)
{
    batch::BatchResult result;
    result.cores.resize(3);
    result.cores[0].report = {{"threads", nlohmann::json::array()}};
    result.cores[1].report = {{"threads", nlohmann::json::array()}};
    result.cores[2].path = "bad<core>";
    result.cores[2].reason = "truncated & \"odd\"";
    batch::Group group;
    group.signature = "k";
    group.findingId = "no-diagnosis";
    group.signal = "SIGSEGV";
    group.topFrames = {"f (<string>:1)"};
    group.members = {0, 1};
    result.groups.push_back(group);
    const std::string xml = formatBatchJUnit(result);
    EXPECT_NE(xml.find(R"(<testsuite name="pyautopsy" tests="2" failures="1" errors="1" skipped="0")"), std::string::npos);
    EXPECT_NE(xml.find("bad&lt;core&gt;"), std::string::npos);
    EXPECT_NE(xml.find("truncated &amp; &quot;odd&quot;"), std::string::npos);
    EXPECT_EQ(xml.find("<string>"), std::string::npos);
}

TEST(JUnitReport, NoCoresIsOnePassingTest)
{
    const std::string xml = formatBatchJUnit({});
    EXPECT_NE(xml.find(R"(tests="1" failures="0" errors="0")"), std::string::npos);
    EXPECT_NE(xml.find("no core files found"), std::string::npos);
}

TEST(MarkdownEscaping, TableCellsAndFences)
{
    EXPECT_EQ(markdownCell("a|b\nc"), "a\\|b c");
    EXPECT_EQ(markdownCell("__del__"), "\\_\\_del\\_\\_");
    EXPECT_EQ(markdownCodeBlock("x"), "```text\nx\n```\n");
    EXPECT_EQ(markdownCodeBlock("a ``` b\n"), "````text\na ``` b\n````\n");
}

}  // namespace
}  // namespace pyautopsy::batch
