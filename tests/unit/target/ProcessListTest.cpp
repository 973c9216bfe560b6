// ProcessList and BlockingFacts on real processes: a forked child blocked
// reading a pipe, and its own child, as /proc shows them.
#include "target/BlockingFacts.h"
#include "target/ProcessList.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pyautopsy::target {
namespace {

// A child that forks a grandchild (which sleeps), then blocks reading `fd`.
class BlockedChild {
public:
    explicit BlockedChild(int fd)
    {
        m_pid = ::fork();
        if (m_pid == 0) {
            if (::fork() == 0) {
                ::pause();
                ::_exit(0);
            }
            char byte;
            [[maybe_unused]] const ssize_t n = ::read(fd, &byte, 1);
            ::_exit(0);
        }
    }
    ~BlockedChild()
    {
        for (const auto& p : listProcessTree(m_pid, true).processes) ::kill(p.pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    int pid() const { return m_pid; }

    // Until /proc says the child sleeps in read(2), at most 10 s.
    bool waitUntilReading() const
    {
        for (int i = 0; i < 1000; ++i) {
            std::ifstream in("/proc/" + std::to_string(m_pid) + "/syscall");
            std::string number;
            if (in >> number && number == "0" && listChildren(m_pid).size() == 1) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

private:
    pid_t m_pid = -1;
};

TEST(ProcessList, ListsDescendantsWithDepthAndLeavesOutTheRootWhenAsked)
{
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    BlockedChild child(fds[0]);
    ASSERT_TRUE(child.waitUntilReading());

    const auto below = listProcessTree(::getpid(), false);
    auto it = std::find_if(below.processes.begin(), below.processes.end(),
                           [&](const ProcessEntry& e) { return e.pid == child.pid(); });
    ASSERT_NE(it, below.processes.end());
    EXPECT_EQ(it->depth, 1u);
    EXPECT_EQ(it->ppid, ::getpid());
    EXPECT_TRUE(std::none_of(below.processes.begin(), below.processes.end(),
                             [](const ProcessEntry& e) { return e.pid == ::getpid(); }));

    const auto tree = listProcessTree(child.pid(), true);
    ASSERT_EQ(tree.processes.size(), 2u);
    EXPECT_EQ(tree.processes[0].pid, child.pid());
    EXPECT_EQ(tree.processes[1].ppid, child.pid());
    EXPECT_EQ(tree.processes[1].depth, 1u);
    EXPECT_FALSE(tree.truncated);

    Limits shallow;
    shallow.maxTreeDepth = 0;
    const auto cut = listProcessTree(child.pid(), true, shallow);
    EXPECT_EQ(cut.processes.size(), 1u);
    EXPECT_TRUE(cut.truncated);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST(BlockingFacts, NamesTheReadAndThePipeBothEndsShare)
{
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    BlockedChild child(fds[0]);
    ASSERT_TRUE(child.waitUntilReading());
    struct stat ours {};
    ASSERT_EQ(::fstat(fds[0], &ours), 0);

    const BlockingFacts facts = readBlockingFacts(child.pid());
    ASSERT_EQ(facts.threads.size(), 1u);
    EXPECT_FALSE(facts.threads[0].running);
    ASSERT_TRUE(facts.threads[0].number);
    EXPECT_EQ(*facts.threads[0].number, kSysRead);
    EXPECT_EQ(facts.threads[0].args[0], static_cast<std::uint64_t>(fds[0]));
    const PipeEnd* read = pipeOfFd(facts, fds[0]);
    const PipeEnd* write = pipeOfFd(facts, fds[1]);
    ASSERT_NE(read, nullptr);
    ASSERT_NE(write, nullptr);
    EXPECT_TRUE(read->readable && !read->writable);
    EXPECT_TRUE(write->writable && !write->readable);
    EXPECT_EQ(read->inode, static_cast<std::uint64_t>(ours.st_ino));
    EXPECT_EQ(write->inode, read->inode);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST(ProcessList, TheKernelMarksAForkChildUntilItExecs)
{
    // This test binary was exec'd; a child forked from it was not.
    auto self = readProcessEntry(static_cast<int>(::getpid()));
    ASSERT_TRUE(self);
    EXPECT_EQ(self->flags & kPfForkNoExec, 0u);
    pid_t child = ::fork();
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    auto forked = readProcessEntry(child);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_TRUE(forked);
    EXPECT_EQ(forked->flags & kPfForkNoExec, kPfForkNoExec);
}

TEST(ProcessList, AProcessThatDoesNotExistHasNoTree)
{
    EXPECT_TRUE(listProcessTree(0x7ffffff0, true).processes.empty());
    EXPECT_FALSE(readProcessEntry(0x7ffffff0).has_value());
}

}  // namespace
}  // namespace pyautopsy::target
