// gevent-blocked-hub: a thread's gevent hub cannot run because the greenlet
// that runs on the thread made a blocking call -- time.sleep, a socket or a
// threading lock gevent did not patch, a C driver -- so no other greenlet of
// that hub runs until it returns. A healthy gevent thread waits in the hub
// (the hub is the running greenlet, in its loop); a blocked one runs some
// other greenlet and is proven blocked (a lock wait or a sleeping system
// call) while greenlets wait for the hub. Error in the core of a hung
// process (killed or dumped from outside); a warning in a live one, where the
// call may return. The same failure as blocked-event-loop, for gevent.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

std::string greenletLabel(const snapshot::Greenlet& g)
{
    if (g.name) return fmt::format("\"{}\"", *g.name);
    if (g.main) return "the thread's main greenlet";
    if (g.run) return fmt::format("the greenlet running {}", *g.run);
    return fmt::format("greenlet {:#x}", g.address);
}

class GeventBlockedHubRule final : public Rule {
public:
    const char* id() const override { return "gevent-blocked-hub"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const Ending end = ending(s);
        if (end == Ending::Crashed) return outcome;
        for (const auto& t : s.threads) {
            const snapshot::Greenlet* hub = nullptr;
            const snapshot::Greenlet* running = nullptr;
            for (const auto& g : t.greenlets) {
                if (g.hub) hub = &g;
                if (g.state == snapshot::GreenletState::Running) running = &g;
            }
            if (!hub || !running || running == hub) continue;   // no hub, or the hub runs its loop
            const auto blocked = blockedIn(s, t);
            if (!blocked) continue;
            std::vector<std::string> starved;
            for (const auto& g : t.greenlets)
                if (&g != hub && &g != running && g.state == snapshot::GreenletState::Suspended && g.parent == hub->address)
                    starved.push_back(greenletLabel(g));

            Finding f;
            f.id = id();
            if (s.target.signal) f.evidence.push_back(signalEvidence(s));
            Evidence e = threadEvidence(t, "thread",
                                        fmt::format("{} has a gevent hub ({:#x}) but runs {}, which is {}: at {}",
                                                    threadLabel(t), hub->address, greenletLabel(*running), *blocked,
                                                    pythonStackText(t, 4)));
            e.address = running->address;
            if (auto py = innermostPython(t)) e.frame = frameText(t.frames[*py]);
            f.evidence.push_back(std::move(e));
            if (!starved.empty()) {
                Evidence w;
                w.kind = "greenlet";
                w.text = fmt::format("{} greenlet{} switched out to the hub cannot run until it returns: {}",
                                     starved.size(), starved.size() == 1 ? "" : "s", fmt::join(starved, ", "));
                f.evidence.push_back(std::move(w));
            }
            auto py = innermostPython(t);
            f.severity = end == Ending::Running ? Severity::Warning : Severity::Error;
            f.summary = fmt::format("The gevent hub of {} cannot run: {} made a blocking call{} ({}), so {} "
                                    "greenlet{} waiting on the hub cannot run.",
                                    threadLabel(t), greenletLabel(*running),
                                    py ? " in " + frameText(t.frames[*py]) : std::string(), *blocked, starved.size(),
                                    starved.size() == 1 ? "" : "s");
            f.advice = "Let gevent see the call: gevent.monkey.patch_all() first thing in the program makes "
                       "time.sleep, sockets, select and threading locks cooperative; otherwise use gevent's own "
                       "APIs, and run blocking C calls in gevent's thread pool (gevent.get_hub().threadpool). "
                       "gevent's monitor thread (GEVENT_MONITOR_THREAD_ENABLE=1) reports a hub blocked longer "
                       "than max_blocking_time while it happens.";
            outcome.findings.push_back(std::move(f));
        }
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeGeventBlockedHubRule() { return std::make_unique<GeventBlockedHubRule>(); }

}  // namespace pyautopsy::diagnosis
