// The findings across processes, on hand-built trees: what makes each one,
// and the near misses that must not (a running thread, a second writer).
#include "batch/TreeFindings.h"

#include "target/BlockingFacts.h"

#include <gtest/gtest.h>

namespace pyautopsy::batch {
namespace {

BlockedCall blocked(int tid, long number, std::uint64_t arg0 = 0)
{
    BlockedCall call;
    call.tid = tid;
    call.number = number;
    call.args[0] = arg0;
    return call;
}

BlockedCall running(int tid)
{
    BlockedCall call;
    call.tid = tid;
    call.running = true;
    return call;
}

LiveProcess process(int pid, int ppid, std::vector<BlockedCall> calls, nlohmann::json diagnoses = nlohmann::json::array())
{
    LiveProcess p;
    p.pid = pid;
    p.ppid = ppid;
    p.status = LiveStatus::Analysed;
    p.calls = std::move(calls);
    nlohmann::json threads = nlohmann::json::array();
    for (const auto& call : p.calls)
        threads.push_back({{"native_id", call.tid}, {"name", call.tid == pid ? "MainThread" : "worker"},
                           {"main", call.tid == pid},
                           {"frames", {{{"kind", "python"}, {"function", "f"}, {"file", "/x/app.py"}, {"line", 7}}}}});
    p.report = {{"threads", threads}, {"diagnoses", std::move(diagnoses)}};
    return p;
}

nlohmann::json deadlock() { return {{{"id", "deadlock"}, {"summary", "Deadlock: A waits for B."}}}; }

TreeResult tree(std::vector<LiveProcess> processes)
{
    TreeResult t;
    t.processes = std::move(processes);
    return t;
}

TEST(TreeFindings, ParentWaitingForADeadlockedChildNamesBoth)
{
    auto t = tree({process(10, 1, {blocked(10, target::kSysWait4, 11)}),
                   process(11, 10, {blocked(11, 202), blocked(12, 202)}, deadlock())});
    const auto findings = findTreeFindings(t);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].id, "waits-on-hung-child");
    EXPECT_EQ(findings[0].severity, "error");
    EXPECT_EQ(findings[0].pids, (std::vector<int>{10, 11}));
    EXPECT_NE(findings[0].summary.find("is deadlocked: Deadlock: A waits for B."), std::string::npos);
}

TEST(TreeFindings, WaitingForAnyChildCoversEachHungChild)
{
    // wait4(-1): any child; only the blocked one is named.
    auto t = tree({process(10, 1, {blocked(10, target::kSysWait4, 0xffffffffu)}),
                   process(11, 10, {blocked(11, 230)}), process(12, 10, {running(12)})});
    const auto findings = findTreeFindings(t);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].severity, "warning");
    EXPECT_EQ(findings[0].pids, (std::vector<int>{10, 11}));
}

TEST(TreeFindings, AChildWithARunningThreadIsNotHung)
{
    auto t = tree({process(10, 1, {blocked(10, target::kSysWait4, 11)}), process(11, 10, {blocked(11, 202), running(12)})});
    EXPECT_TRUE(findTreeFindings(t).empty());
}

TEST(TreeFindings, ReaderOfAPipeOnlyItsWaitingParentWritesIsACycle)
{
    auto parent = process(10, 1, {blocked(10, target::kSysWait4, 11)});
    parent.pipes = {{5, 777, true, false}, {6, 777, false, true}};
    auto child = process(11, 10, {blocked(11, target::kSysRead, 5)});
    child.pipes = {{5, 777, true, false}, {6, 777, false, true}};
    const auto findings = findTreeFindings(tree({parent, child}));
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].id, "pipe-wait-cycle");   // errors first
    EXPECT_EQ(findings[0].pids, (std::vector<int>{11, 10}));
    EXPECT_EQ(findings[1].id, "waits-on-hung-child");
}

TEST(TreeFindings, APipeWithAWriterThatIsFreeIsNoCycle)
{
    auto parent = process(10, 1, {blocked(10, target::kSysWait4, 11)});
    parent.pipes = {{6, 777, false, true}};
    auto sibling = process(12, 10, {running(12)});
    sibling.pipes = {{6, 777, false, true}};
    auto child = process(11, 10, {blocked(11, target::kSysRead, 5)});
    child.pipes = {{5, 777, true, false}};
    for (const auto& f : findTreeFindings(tree({parent, child, sibling}))) EXPECT_NE(f.id, "pipe-wait-cycle");
}

TEST(TreeFindings, ProcessesNotAnalysedAreNeverJudged)
{
    auto child = process(11, 10, {blocked(11, 202)}, deadlock());
    child.status = LiveStatus::NotPython;
    EXPECT_TRUE(findTreeFindings(tree({process(10, 1, {blocked(10, target::kSysWait4, 11)}), child})).empty());
}

}  // namespace
}  // namespace pyautopsy::batch
