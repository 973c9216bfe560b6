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

// A thread inside gc.collect(), parked in a gc.callbacks function.
snapshot::Thread collecting()
{
    snapshot::Thread thread;
    thread.threadId = 0x1000;
    thread.garbageCollecting = true;
    thread.frames.push_back(pythonFrame("callback", 5));
    thread.frames.back().calling = "<built-in function sleep>";
    thread.frames.push_back(pythonFrame("<module>", 7));
    thread.frames.back().calling = "<built-in function collect>";
    thread.frames.back().startedGc = true;
    return thread;
}

TEST(TracebackText, CallsAndTheCollectionSitOnTheNewerSideOfTheirFrame)
{
    const std::string text = formatThread(collecting(), TextOptions{});
    // Most recent call last: frame, its call, the collection, then what runs inside it.
    const auto module = text.find("in <module>");
    const auto collect = text.find("  <built-in function collect>\n");
    const auto gc = text.find("  Garbage-collecting\n");
    const auto callback = text.find("in callback");
    const auto sleep = text.find("  <built-in function sleep>\n");
    ASSERT_NE(sleep, std::string::npos);
    EXPECT_LT(module, collect);
    EXPECT_LT(collect, gc);
    EXPECT_LT(gc, callback);
    EXPECT_LT(callback, sleep);
    EXPECT_NE(text.find("garbage-collecting"), std::string::npos);   // the header
}

TEST(TracebackText, DebuggerOrderPutsTheCallBeforeItsFrame)
{
    TextOptions options;
    options.mostRecentLast = false;
    const std::string text = formatThread(collecting(), options);
    const auto sleep = text.find("  <built-in function sleep>\n");
    const auto callback = text.find("in callback");
    const auto gc = text.find("  Garbage-collecting\n");
    const auto collect = text.find("  <built-in function collect>\n");
    const auto module = text.find("in <module>");
    ASSERT_NE(module, std::string::npos);
    EXPECT_LT(sleep, callback);
    EXPECT_LT(callback, gc);
    EXPECT_LT(gc, collect);
    EXPECT_LT(collect, module);
}

TEST(TracebackText, FramesCallingDifferentCallablesAreNotCollapsed)
{
    snapshot::Thread thread = recursion(4);
    thread.frames[1].calling = "<built-in function sleep>";   // the innermost recurse()
    const std::string text = formatThread(thread, TextOptions{});
    EXPECT_EQ(count(text, "in recurse"), 4u);
}

}  // namespace
}  // namespace pyautopsy::report
