// killed-pending-atexit: the process died by a signal from another process
// (SIGTERM, SIGKILL, ...) -- or is a multiprocessing pool worker, which
// Pool.terminate() will SIGTERM -- while Python atexit callbacks are still
// pending: they never run. A coverage-style data save among them means lost
// coverage data.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

bool isPoolWorker(const snapshot::Snapshot& s)
{
    for (const auto& t : s.threads)
        for (const auto& fr : t.frames)
            if (fr.kind == snapshot::FrameKind::Python && fr.function == "worker" &&
                fr.file.find("multiprocessing/pool.py") != std::string::npos)
                return true;
    return false;
}

class KilledPendingAtexitRule final : public Rule {
public:
    const char* id() const override { return "killed-pending-atexit"; }
    // A hung process killed by a CI timeout: the hang is the cause, the lost
    // callbacks what followed.
    bool consequence() const override { return true; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const Ending end = ending(s);
        const bool killed = end == Ending::Killed;
        const bool worker = !killed && end != Ending::Crashed && isPoolWorker(s);
        if (!killed && !worker) return outcome;
        const snapshot::AtexitState* atexit = nullptr;
        for (const auto& i : s.interpreters)
            if (i.main && i.state.atexit) atexit = &*i.state.atexit;
        if (!atexit) {
            outcome.notAnalysed = "the atexit callbacks could not be read";
            return outcome;
        }
        const snapshot::Thread* main = mainThread(s);
        // 3.12+ set interp->finalizing before threading._shutdown(), which runs
        // before the callbacks: a main thread still in it has called none.
        const bool beforeCallbacks = atexit->status == snapshot::AtexitStatus::Calling && main &&
                                     inThreadingShutdown(*main);
        if ((atexit->status != snapshot::AtexitStatus::Pending && !beforeCallbacks) || atexit->callbacks.empty())
            return outcome;
        // <= 3.11 keep the list until every callback returned: a main thread
        // inside one is calling them, not leaving them pending.
        if (main) {
            if (findNative(*main, {NativeRole::AtexitCall})) return outcome;
            for (const auto& fr : main->frames)
                if (fr.kind == snapshot::FrameKind::Python && fr.function == "_exit_function") return outcome;
        }

        Finding f;
        f.id = id();
        if (s.target.signal && killed) f.evidence.push_back(signalEvidence(s));
        if (worker)
            f.evidence.push_back({"process", "the process is a multiprocessing pool worker (multiprocessing.pool."
                                  "worker on its stack): Pool.terminate() and the Pool context manager end it with "
                                  "SIGTERM", {}, {}, {}, {}, {}});
        std::vector<std::string> names;
        bool coverage = false;
        for (const auto& cb : atexit->callbacks) {
            std::string name = cb.qualname.value_or(cb.kind);
            if (cb.module) name = *cb.module + "." + name;
            Evidence e;
            e.kind = "atexit";
            e.text = fmt::format("atexit callback {} is registered and has not run", name);
            e.address = cb.address;
            e.value = name;
            f.evidence.push_back(std::move(e));
            names.push_back(name);
            if (name.find("coverage") != std::string::npos || name.find("pytest_cov") != std::string::npos)
                coverage = true;
        }
        f.severity = killed ? Severity::Error : Severity::Warning;
        f.summary = killed
            ? fmt::format("The process was killed by {} from pid {} with atexit callbacks pending, which never ran: {}{}.",
                          s.target.signal->name, s.target.signal->senderPid.value_or(0), fmt::join(names, ", "),
                          coverage ? " (a coverage data save: this process's coverage is lost)" : "")
            : fmt::format("This pool worker has atexit callbacks pending ({}){} that a SIGTERM from "
                          "Pool.terminate() would skip.", fmt::join(names, ", "),
                          coverage ? ", including a coverage data save" : "");
        f.advice = "Shut pools down with close() then join() (not terminate() or the with-block, which SIGTERM the "
                   "workers); join Process objects; for code you cannot change, install a SIGTERM handler that runs "
                   "the cleanup (pytest-cov's cleanup_on_sigterm) or use multiprocessing.util.Finalize.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeKilledPendingAtexitRule() { return std::make_unique<KilledPendingAtexitRule>(); }

}  // namespace pyautopsy::diagnosis
