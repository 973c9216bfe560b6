#include "runtime/threads/MixedStack.h"
#include "runtime/threads/ThreadStatus.h"

#include <gtest/gtest.h>

namespace pyautopsy::runtime {
namespace {

unwind::NativeFrame native(std::string function, std::uint64_t sp, std::string module = "/usr/bin/python3")
{
    unwind::NativeFrame f;
    f.function = std::move(function);
    f.sp = sp;
    f.pc = sp;   // any distinct number
    f.module = std::move(module);
    return f;
}

snapshot::Frame python(std::string function, bool entry = false, std::optional<std::uint64_t> shim = {})
{
    snapshot::Frame f;
    f.function = std::move(function);
    f.entry = entry;
    f.shimAddress = shim;
    return f;
}

std::string shape(const std::vector<snapshot::Frame>& frames)
{
    std::string out;
    for (const auto& f : frames) {
        if (!out.empty()) out += " ";
        out += (f.kind == snapshot::FrameKind::Python ? "py:" : "") + (f.function.empty() ? "??" : f.function);
    }
    return out;
}

const std::string kEval = "_PyEval_EvalFrameDefault";

TEST(Interleave, OneFramePerEvalCallUpTo310)
{
    auto mixed = interleave({python("inner"), python("outer")},
                            {native("sem_wait", 1), native(kEval, 2), native("call", 3), native(kEval, 4),
                             native("main", 5)},
                            false);
    EXPECT_EQ(shape(mixed.frames), "sem_wait py:inner " + kEval + " call py:outer " + kEval + " main");
    EXPECT_TRUE(mixed.notes.empty());
}

TEST(Interleave, RunsEndAtEntryFramesFrom311)
{
    auto mixed = interleave({python("c"), python("b", true), python("a", true)},
                            {native("wait", 1), native(kEval, 2), native("call", 3), native(kEval, 4)}, true);
    EXPECT_EQ(shape(mixed.frames), "wait py:c py:b " + kEval + " call py:a " + kEval);
    EXPECT_TRUE(mixed.notes.empty());
}

TEST(Interleave, ShimOnTheCStackFindsAnUnnamedEvalLoop)
{
    // A stripped build: the eval loop's body has no symbol, but frame 1 owns
    // stack [0x100, 0x200), where the group's shim frame lives.
    auto mixed = interleave({python("f", true, 0x180)}, {native("", 0x80), native("", 0x100), native("", 0x200)},
                            true);
    EXPECT_EQ(shape(mixed.frames), "?? py:f " + kEval + " ??");
    EXPECT_TRUE(mixed.notes.empty());
}

TEST(Interleave, MismatchKeepsOrderAppendsAndSaysSo)
{
    auto mixed = interleave({python("inner"), python("outer")}, {native("wait", 1), native(kEval, 2)}, false);
    EXPECT_EQ(shape(mixed.frames), "wait py:inner " + kEval + " py:outer");
    ASSERT_EQ(mixed.notes.size(), 1u);
    EXPECT_NE(mixed.notes[0].find("1 of 2 group(s)"), std::string::npos) << mixed.notes[0];
}

TEST(Interleave, EvalLoopWithoutPythonIsNoted)
{
    auto mixed = interleave({}, {native(kEval, 1)}, true);
    ASSERT_EQ(mixed.notes.size(), 1u);
}

std::vector<snapshot::Frame> stack(std::vector<unwind::NativeFrame> natives, std::size_t pythonBefore)
{
    std::vector<snapshot::Frame> frames;
    for (std::size_t i = 0; i < natives.size(); ++i) {
        if (i == pythonBefore) frames.push_back(python("f"));
        frames.push_back(toSnapshotFrame(natives[i]));
    }
    return frames;
}

TEST(ThreadStatus, FromNativeFrames)
{
    using snapshot::ThreadStatus;
    const std::string libc = "/lib/libc.so.6";
    EXPECT_EQ(statusFromNativeFrames(stack({native(kEval, 1), native("main", 2)}, 0)), ThreadStatus::RunningPython);
    EXPECT_EQ(statusFromNativeFrames(stack({native("sem_clockwait", 1, libc), native(kEval, 2)}, 1)),
              ThreadStatus::InCCall);
    EXPECT_EQ(statusFromNativeFrames(stack({native("futex", 1, libc), native("take_gil", 2), native(kEval, 3)}, 2)),
              ThreadStatus::WaitingForGil);
    // Stripped: an unnamed interpreter function calling a condition wait is take_gil.
    EXPECT_EQ(statusFromNativeFrames(stack({native("pthread_cond_timedwait", 1, libc), native("", 2),
                                            native(kEval, 3)},
                                           3)),
              ThreadStatus::WaitingForGil);
    // The same wait called from another library is that library's business.
    EXPECT_EQ(statusFromNativeFrames(stack({native("pthread_cond_wait", 1, libc), native("", 2, "/lib/ext.so"),
                                            native(kEval, 3)},
                                           3)),
              ThreadStatus::InCCall);
    EXPECT_EQ(statusFromNativeFrames(stack({native("epoll_wait", 1, libc), native("start_thread", 2, libc)}, 9)),
              ThreadStatus::Idle);
}

}  // namespace
}  // namespace pyautopsy::runtime
