// Each ptrace refusal is one line that names its cause and the fix.
#include "target/PtraceRefusal.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <unistd.h>

using namespace pyautopsy::target;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

PtraceFacts sameUser()
{
    PtraceFacts facts;
    facts.ourUid = 1000;
    facts.targetUid = 1000;
    facts.targetUser = "alice";
    return facts;
}

}  // namespace

TEST(PtraceRefusal, AnotherTracerIsNamed)
{
    PtraceFacts facts = sameUser();
    facts.tracer = std::make_pair(77, std::string("gdb"));
    const std::string line = explainRefusal(42, "", EPERM, facts);
    EXPECT_TRUE(has(line, "cannot attach to PID 42: it is already traced by gdb (pid 77)")) << line;
    EXPECT_TRUE(has(line, "pyautopsy pid 42 --nonblocking")) << line;
}

TEST(PtraceRefusal, AnotherUsersProcessSaysWhoseAndSudo)
{
    PtraceFacts facts = sameUser();
    facts.targetUid = 65534;
    facts.targetUser = "nobody";
    const std::string line = explainRefusal(42, "", EACCES, facts);
    EXPECT_TRUE(has(line, "it belongs to nobody and pyautopsy runs as ")) << line;
    EXPECT_TRUE(has(line, "sudo pyautopsy pid 42")) << line;
}

TEST(PtraceRefusal, RootWithoutTheCapabilityIsToldHowToGrantIt)
{
    PtraceFacts facts;
    facts.ourUid = 0;
    facts.targetUid = 65534;
    facts.targetUser = "nobody";
    const std::string line = explainRefusal(42, "", EPERM, facts);
    EXPECT_TRUE(has(line, "runs as root but without CAP_SYS_PTRACE")) << line;
    EXPECT_TRUE(has(line, "--cap-add=SYS_PTRACE")) << line;
    EXPECT_TRUE(has(line, "capabilities.add: [\"SYS_PTRACE\"]")) << line;
}

TEST(PtraceRefusal, YamaScopesSayTheValueAndWhatToChange)
{
    PtraceFacts facts = sameUser();
    facts.yamaScope = 1;
    std::string line = explainRefusal(42, " (thread 43)", EPERM, facts);
    EXPECT_TRUE(has(line, "cannot attach to PID 42 (thread 43): kernel.yama.ptrace_scope is 1")) << line;
    EXPECT_TRUE(has(line, "sudo sysctl kernel.yama.ptrace_scope=0")) << line;

    facts.isAncestor = true;  // scope 1 lets an ancestor attach: the cause is elsewhere
    EXPECT_FALSE(has(explainRefusal(42, "", EPERM, facts), "ptrace_scope is 1"));

    facts.yamaScope = 2;
    line = explainRefusal(42, "", EPERM, facts);
    EXPECT_TRUE(has(line, "kernel.yama.ptrace_scope is 2, which lets only CAP_SYS_PTRACE attach")) << line;

    facts.yamaScope = 3;
    facts.hasCapSysPtrace = true;  // 3 stops even root
    line = explainRefusal(42, "", EPERM, facts);
    EXPECT_TRUE(has(line, "kernel.yama.ptrace_scope is 3")) << line;
}

TEST(PtraceRefusal, SameUserWithoutTheCapabilityPointsAtContainers)
{
    const std::string line = explainRefusal(42, "", EPERM, sameUser());
    EXPECT_TRUE(has(line, "although pyautopsy runs as the same user")) << line;
    EXPECT_TRUE(has(line, "--cap-add=SYS_PTRACE")) << line;
}

TEST(PtraceRefusal, OtherErrorsAreShownAsTheyAre)
{
    EXPECT_EQ(explainRefusal(42, "", ESRCH, sameUser()), "cannot attach to PID 42: No such process");
}

TEST(PtraceRefusal, FactsOfOurOwnProcessAreRead)
{
    // Our own process: its uid is ours, and we are not our own ancestor.
    const PtraceFacts facts = gatherPtraceFacts(::getpid(), ::getpid());
    ASSERT_TRUE(facts.targetUid.has_value());
    EXPECT_EQ(*facts.targetUid, facts.ourUid);
    EXPECT_FALSE(facts.isAncestor);
    EXPECT_FALSE(facts.tracer.has_value());
}
