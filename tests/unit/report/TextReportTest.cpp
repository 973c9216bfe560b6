#include "report/TextReport.h"

#include <gtest/gtest.h>

#include <string>

namespace pyautopsy::report {
namespace {

snapshot::Frame pythonFrame(const std::string& function, int line)
{
    snapshot::Frame frame;
    frame.function = function;
    frame.file = "/nonexistent/app.py";   // no source lines in these tests
    frame.line = line;
    return frame;
}

snapshot::Thread recursion(std::size_t depth)
{
    snapshot::Thread thread;
    thread.threadId = 0x1000;
    thread.frames.push_back(pythonFrame("leaf", 3));
    for (std::size_t i = 0; i < depth; ++i) thread.frames.push_back(pythonFrame("recurse", 7));
    thread.frames.push_back(pythonFrame("<module>", 12));
    return thread;
}

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(TracebackText, RunsOfIdenticalLinesCollapseAsTracebackDoes)
{
    const std::string text = formatThread(recursion(1000), TextOptions{});
    EXPECT_EQ(count(text, "in recurse"), 3u);
    EXPECT_NE(text.find("  [Previous line repeated 997 more times]\n"), std::string::npos);
    // Most recent call last: the count follows the run, and the leaf comes after it.
    EXPECT_LT(text.find("repeated"), text.find("in leaf"));
}

TEST(TracebackText, ShortRunsAreNotCollapsed)
{
    EXPECT_EQ(count(formatThread(recursion(3), TextOptions{}), "in recurse"), 3u);
    EXPECT_EQ(formatThread(recursion(3), TextOptions{}).find("repeated"), std::string::npos);
    const std::string four = formatThread(recursion(4), TextOptions{});
    EXPECT_NE(four.find("[Previous line repeated 1 more time]"), std::string::npos);
}

TEST(TracebackText, DebuggerOrderStartsAtTheSelectedFrame)
{
    TextOptions options;
    options.mostRecentLast = false;
    options.firstFrame = 2;   // two newer Python frames left out
    const std::string text = formatThread(recursion(2), options);
    EXPECT_NE(text.find("(2 newer Python frames not shown"), std::string::npos);
    EXPECT_EQ(text.find("in leaf"), std::string::npos);
    EXPECT_NE(text.find("in <module>"), std::string::npos);
}

}  // namespace
}  // namespace pyautopsy::report
