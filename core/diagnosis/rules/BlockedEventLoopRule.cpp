// blocked-event-loop: an asyncio event loop's thread is blocked inside the
// task it runs -- a synchronous call (time.sleep, a blocking socket or
// driver, a threading lock) in a coroutine -- so the loop never returns to
// its selector and every other task of the loop starves. An idle loop waits
// in its selector with no task running; a blocked one has a running task
// (asyncio's current task) and a thread proven blocked (a lock wait or a
// sleeping system call). Error in the core of a hung process (killed or
// dumped from outside); a warning in a live one, where the call may return.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::diagnosis {
namespace {

const snapshot::Thread* threadWithIdent(const snapshot::Snapshot& s, std::uint64_t ident, std::int64_t interpreter)
{
    for (const auto& t : s.threads)
        if (t.threadId == ident && t.interpreterId == interpreter && t.threadStateAddress != 0) return &t;
    return nullptr;
}

class BlockedEventLoopRule final : public Rule {
public:
    const char* id() const override { return "blocked-event-loop"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const Ending end = ending(s);
        if (end == Ending::Crashed) return outcome;
        for (const auto& loop : s.asyncio.loops) {
            if (!loop.threadId) continue;
            const snapshot::Thread* t = threadWithIdent(s, *loop.threadId, loop.interpreterId);
            if (!t) continue;
            const snapshot::AsyncTask* running = nullptr;
            std::vector<std::string> starved;
            for (const auto& task : loop.tasks)
                if (task.running) running = &task;
            if (!running) continue;     // in the selector, or between tasks: the loop runs
            // Tasks awaiting the blocked one wait for it anyway; the others starve.
            for (const auto& task : loop.tasks) {
                if (&task == running || task.state != "pending") continue;
                if (std::find(task.awaits.begin(), task.awaits.end(), running->address) != task.awaits.end()) continue;
                starved.push_back(fmt::format("\"{}\"", task.name));
            }
            const auto blocked = blockedIn(s, *t);
            if (!blocked) continue;

            Finding f;
            f.id = id();
            if (s.target.signal) f.evidence.push_back(signalEvidence(s));
            Evidence e = threadEvidence(*t, "thread",
                                        fmt::format("{} runs the event loop {} at {:#x} and is {} inside task \"{}\": "
                                                    "at {}", threadLabel(*t), loop.type, loop.address, *blocked,
                                                    running->name, pythonStackText(*t, 4)));
            e.address = loop.address;
            if (auto py = innermostPython(*t)) e.frame = frameText(t->frames[*py]);
            f.evidence.push_back(std::move(e));
            if (!starved.empty()) {
                Evidence w;
                w.kind = "task";
                w.text = fmt::format("{} pending task{} of this loop cannot run until it returns: {}", starved.size(),
                                     starved.size() == 1 ? "" : "s", fmt::join(starved, ", "));
                f.evidence.push_back(std::move(w));
            }
            auto py = innermostPython(*t);
            f.severity = end == Ending::Running ? Severity::Warning : Severity::Error;
            f.summary = fmt::format("The asyncio event loop of {} is blocked: task \"{}\" made a blocking call{} "
                                    "({}), so the loop cannot run its {} other pending task{}.",
                                    threadLabel(*t), running->name,
                                    py ? " in " + frameText(t->frames[*py]) : std::string(), *blocked,
                                    starved.size(), starved.size() == 1 ? "" : "s");
            f.advice = "Never block in a coroutine: await the asyncio form of the call (asyncio.sleep, an async "
                       "client), or run the blocking function in a thread with asyncio.to_thread() / "
                       "loop.run_in_executor(). asyncio's debug mode (PYTHONASYNCIODEBUG=1) logs callbacks that "
                       "hold the loop longer than loop.slow_callback_duration.";
            outcome.findings.push_back(std::move(f));
        }
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeBlockedEventLoopRule() { return std::make_unique<BlockedEventLoopRule>(); }

}  // namespace pyautopsy::diagnosis
