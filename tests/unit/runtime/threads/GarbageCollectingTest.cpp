#include "runtime/threads/GarbageCollecting.h"

#include <gtest/gtest.h>

namespace pyautopsy::runtime {
namespace {

snapshot::Thread thread(std::uint64_t tstate, std::optional<bool> holdsGil, std::int64_t interp = 0)
{
    snapshot::Thread t;
    t.threadStateAddress = tstate;
    t.holdsGil = holdsGil;
    t.interpreterId = interp;
    snapshot::Frame f;
    f.kind = snapshot::FrameKind::Python;
    f.address = tstate + 0x100;
    t.frames.push_back(f);
    return t;
}

snapshot::Snapshot collecting(std::vector<snapshot::Thread> threads, std::optional<std::uint64_t> frame = {},
                              bool isCollecting = true)
{
    snapshot::Snapshot snap;
    snapshot::Interpreter interp;
    interp.state.gc = snapshot::GcState{};
    interp.state.gc->collecting = isCollecting;
    interp.state.gc->collectingFrame = frame;
    snap.interpreters.push_back(interp);
    snap.threads = std::move(threads);
    return snap;
}

std::vector<bool> marked(const snapshot::Snapshot& snap)
{
    std::vector<bool> out;
    for (const auto& t : snap.threads) out.push_back(t.garbageCollecting);
    return out;
}

TEST(GarbageCollecting, TheOneThreadStateWhateverTheGil)
{
    auto snap = collecting({thread(0x1000, false)});
    markGarbageCollection(snap);
    EXPECT_EQ(marked(snap), std::vector<bool>({true}));
    EXPECT_FALSE(snap.threads[0].frames[0].startedGc);
}

TEST(GarbageCollecting, TheGilHolderAmongSeveral)
{
    auto snap = collecting({thread(0x1000, false), thread(0x2000, true), thread(0x3000, std::nullopt)});
    markGarbageCollection(snap);
    EXPECT_EQ(marked(snap), std::vector<bool>({false, true, false}));
    EXPECT_FALSE(snap.threads[1].frames[0].startedGc);  // which frame triggered it is unknown
}

TEST(GarbageCollecting, NothingWhenTheGilIsFreeOrItsHolderUnknown)
{
    auto free = collecting({thread(0x1000, false), thread(0x2000, false)});
    markGarbageCollection(free);
    EXPECT_EQ(marked(free), std::vector<bool>({false, false}));
    auto unknown = collecting({thread(0x1000, std::nullopt), thread(0x2000, std::nullopt)});
    markGarbageCollection(unknown);
    EXPECT_EQ(marked(unknown), std::vector<bool>({false, false}));
}

TEST(GarbageCollecting, NothingWhenNotCollecting)
{
    auto snap = collecting({thread(0x1000, true)}, std::nullopt, false);
    markGarbageCollection(snap);
    EXPECT_EQ(marked(snap), std::vector<bool>({false}));
}

TEST(GarbageCollecting, OnlyTheCollectingInterpretersThreads)
{
    // Interpreter 1's GIL holder is not interpreter 0's collector.
    auto snap = collecting({thread(0x1000, false), thread(0x2000, false), thread(0x3000, true, 1)});
    markGarbageCollection(snap);
    EXPECT_EQ(marked(snap), std::vector<bool>({false, false, false}));
}

TEST(GarbageCollecting, TheRecordedFrameWinsOverTheGil)
{
    // 3.15: the frame that started it names the thread, even one without the GIL.
    auto snap = collecting({thread(0x1000, false), thread(0x2000, true)}, 0x1100);
    markGarbageCollection(snap);
    EXPECT_EQ(marked(snap), std::vector<bool>({true, false}));
    EXPECT_TRUE(snap.threads[0].frames[0].startedGc);
}

}  // namespace
}  // namespace pyautopsy::runtime
