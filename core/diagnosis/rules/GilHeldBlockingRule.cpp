// gil-held-blocking: a thread holds the GIL while asleep in a system call --
// C code that blocked without releasing it (Py_BEGIN_ALLOW_THREADS missing,
// ctypes.PyDLL or ctypes.pythonapi calls) -- so no other thread can run
// Python until the call returns. Names the holder, its call (the system call
// from its registers; the C functions when native frames were collected) and
// the threads waiting for the GIL. Error when waiters are proven: by their
// native frames (take_gil), or by the drop request a waiter leaves on the
// holder after a switch interval in vain (which proves that some thread
// waits, not which: the candidates are named as most likely). Otherwise --
// a live process read without --native, an old layout -- a warning.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"
#include "snapshot/Syscalls.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

// The C functions the holder is in, innermost first, down to the eval loop
// that called them: what blocked without releasing the GIL.
std::string nativeCallText(const snapshot::Thread& t)
{
    std::vector<std::string> calls;
    for (const auto& f : t.frames) {
        if (f.kind != snapshot::FrameKind::Native) continue;
        if (f.role == NativeRole::EvalLoop || calls.size() == 4) break;
        if (!f.function.empty()) calls.push_back(frameText(f));   // unnamed (static) functions say nothing here
    }
    return fmt::format("{}", fmt::join(calls, " <- "));
}

bool waitsForGil(const snapshot::Thread& t)
{
    return t.status == snapshot::ThreadStatus::WaitingForGil || findNative(t, {NativeRole::GilWait}).has_value();
}

class GilHeldBlockingRule final : public Rule {
public:
    const char* id() const override { return "gil-held-blocking"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        if (ending(s) == Ending::Crashed) return outcome;
        const snapshot::Thread* holder = nullptr;
        for (const auto& t : s.threads)
            if (t.threadStateAddress != 0 && t.holdsGil.value_or(false)) holder = &t;
        if (!holder || !holder->syscall) return outcome;
        // futex: the holder may be handing the GIL over right now; write,
        // kill: calls that return. The rest sleep until the world acts.
        const auto call = snapshot::syscallName(*holder->syscall);
        if (!call || *call == "futex" || *call == "write" || *call == "kill" || *call == "tgkill") return outcome;
        if (waitsForGil(*holder)) return outcome;

        const bool native = hasNativeFrames(s);
        std::vector<const snapshot::Thread*> waiters;
        std::vector<const snapshot::Thread*> maybe;     // asleep in a (timed) futex, no lock wait: the GIL, most likely
        for (const auto& t : s.threads) {
            if (&t == holder || t.threadStateAddress == 0 || t.interpreterId != holder->interpreterId) continue;
            if (native) {
                if (waitsForGil(t)) waiters.push_back(&t);
            } else if ((t.syscall == snapshot::kSysFutex || t.syscall == snapshot::kSysRestart) && !t.waitsFor &&
                       !t.holdsGil.value_or(false)) {
                maybe.push_back(&t);
            }
        }
        const bool requested = holder->gilDropRequested.value_or(false);
        if (waiters.empty() && maybe.empty() && !requested) return outcome;

        Finding f;
        f.id = id();
        if (s.target.signal) f.evidence.push_back(signalEvidence(s));
        std::string calls = hasNativeFrames(*holder) ? nativeCallText(*holder) : std::string();
        Evidence held = threadEvidence(*holder, "thread",
                                       fmt::format("{} holds the GIL and is asleep in the system call {}{}, called "
                                                   "from {}", threadLabel(*holder), *call,
                                                   calls.empty() ? std::string() : " (" + calls + ")",
                                                   pythonStackText(*holder, 4)));
        if (auto py = innermostPython(*holder)) held.frame = frameText(holder->frames[*py]);
        f.evidence.push_back(std::move(held));
        if (requested) {
            Evidence e = threadEvidence(*holder, "gil",
                                        "the GIL's drop request is set on it: a thread waited longer than the switch "
                                        "interval for the GIL and asked the holder to release it");
            e.value = "gil_drop_request";
            f.evidence.push_back(std::move(e));
        }
        std::vector<std::string> names;
        for (const auto* t : waiters.empty() ? maybe : waiters) {
            auto py = innermostPython(*t);
            std::string where = py ? frameText(t->frames[*py]) : std::string("C code");
            Evidence e = threadEvidence(*t, "thread",
                                        waiters.empty()
                                            ? fmt::format("{} is asleep in futex at {}, not holding the GIL and not "
                                                          "acquiring a lock: most likely waiting for the GIL "
                                                          "(--native shows it)", threadLabel(*t), where)
                                            : fmt::format("{} waits for the GIL at {}", threadLabel(*t), where));
            if (py) e.frame = where;
            f.evidence.push_back(std::move(e));
            names.push_back(threadShortName(*t));
        }
        auto py = innermostPython(*holder);
        f.severity = waiters.empty() && !requested ? Severity::Warning : Severity::Error;
        std::string who;
        if (!waiters.empty()) who = fmt::format("{} cannot", fmt::join(names, ", "));
        else if (!requested) who = fmt::format("{} most likely cannot", fmt::join(names, ", "));
        else if (names.empty()) who = "a thread waiting for it cannot";
        else who = fmt::format("a thread waiting for it (most likely {}) cannot", fmt::join(names, ", "));
        f.summary = fmt::format("{} holds the GIL while blocked in the system call {}{}, so {} run Python.",
                                threadLabel(*holder), *call,
                                py ? " under " + frameText(holder->frames[*py]) : std::string(), who);
        f.advice = "Release the GIL around blocking C calls (Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS in C "
                   "extensions; ctypes.CDLL, not PyDLL or ctypes.pythonapi, for C functions that may block), or "
                   "give the call a timeout.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeGilHeldBlockingRule() { return std::make_unique<GilHeldBlockingRule>(); }

}  // namespace pyautopsy::diagnosis
