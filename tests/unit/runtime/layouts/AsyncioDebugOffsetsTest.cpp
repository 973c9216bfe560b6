// _AsyncioDebug tables on byte buffers: the words 3.14's _asyncio module
// published on the test bed, a short or invalid table, and the override.
#include "runtime/layouts/AsyncioDebugOffsets.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace pyautopsy::runtime;

namespace {

std::vector<std::uint8_t> table(std::initializer_list<std::uint64_t> words)
{
    std::vector<std::uint8_t> bytes(words.size() * 8);
    std::size_t i = 0;
    for (std::uint64_t w : words) std::memcpy(bytes.data() + 8 * i++, &w, 8);
    return bytes;
}

// As read from Debian's _asyncio.cpython-314-x86_64-linux-gnu.so (3.14.10).
const auto kDebian314 = table({168, 136, 96, 108, 109, 128, 152, 225864, 10880, 936, 864, 872, 880});

TEST(AsyncioDebugOffsets, ReadsThePublishedWords)
{
    auto offsets = parseAsyncioDebugOffsets(kDebian314);
    ASSERT_TRUE(offsets);
    EXPECT_EQ(offsets->taskSize, 168u);
    EXPECT_EQ(offsets->taskName, 136u);
    EXPECT_EQ(offsets->taskCoro, 128u);
    EXPECT_EQ(offsets->taskNode, 152u);
    EXPECT_EQ(offsets->interpreterTasksHead, 10880u);
    EXPECT_EQ(offsets->threadRunningLoop, 864u);
    EXPECT_EQ(offsets->threadRunningTask, 872u);
    EXPECT_EQ(offsets->threadTasksHead, 880u);
}

TEST(AsyncioDebugOffsets, ShortOrImpossibleTablesAreRejected)
{
    auto shorter = kDebian314;
    shorter.resize(kAsyncioDebugBytes - 1);
    EXPECT_FALSE(parseAsyncioDebugOffsets(shorter));
    // A coroutine offset past the end of the Task.
    EXPECT_FALSE(parseAsyncioDebugOffsets(table({168, 136, 96, 108, 109, 4096, 152, 225864, 10880, 936, 864, 872, 880})));
    // Zeros: no struct has size 0.
    EXPECT_FALSE(parseAsyncioDebugOffsets(std::vector<std::uint8_t>(kAsyncioDebugBytes)));
}

TEST(AsyncioDebugOffsets, OverridesTheTableAndSaysWhereItDisagreed)
{
    AsyncioLayout layout;
    layout.task_size = 168;
    layout.task_name = 136;
    layout.task_coro = 120;   // a mirror that went stale
    std::vector<std::string> notes;
    applyAsyncioDebugOffsets(*parseAsyncioDebugOffsets(kDebian314), layout, notes);
    EXPECT_EQ(layout.task_coro, 128);
    EXPECT_EQ(layout.thread_tasks_head, 880);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0], "_AsyncioDebug: task coroutine at 128, not 120 as the layout table says");
}

}  // namespace
