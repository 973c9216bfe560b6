// stack-overflow: a SIGSEGV at the stack guard (the fault address next to the
// crashing thread's stack pointer) or at an extreme Python depth. Evidence:
// the repeating cycle of Python frames, its period and count, and the
// recursion limit in force.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace pyautopsy::diagnosis {
namespace {

constexpr std::uint64_t kGuardDistance = 64 * 1024;   // fault this close to sp: the guard page
constexpr std::size_t kExtremeDepth = 5000;           // Python frames
constexpr std::size_t kMaxPeriod = 8;

struct Cycle {
    std::size_t start = 0;      // index among the Python frames
    std::size_t period = 0;
    std::size_t repeats = 0;
};

// The longest run of a repeating pattern of Python frames, innermost first.
Cycle findCycle(const std::vector<const snapshot::Frame*>& py)
{
    auto key = [&](std::size_t i) { return py[i]->file + '\0' + py[i]->function; };
    Cycle best;
    for (std::size_t start = 0; start < std::min<std::size_t>(py.size(), 16); ++start) {
        for (std::size_t p = 1; p <= kMaxPeriod; ++p) {
            std::size_t run = 0;
            while (start + run + p < py.size() && key(start + run) == key(start + run + p)) ++run;
            std::size_t repeats = run / p + 1;
            if (repeats > best.repeats) best = {start, p, repeats};
        }
    }
    return best;
}

class StackOverflowRule final : public Rule {
public:
    const char* id() const override { return "stack-overflow"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const snapshot::Thread* crashed = crashedThread(s);
        if (!crashed || ending(s) != Ending::Crashed || !isSignal(s, {"SIGSEGV", "SIGBUS"})) return outcome;
        const auto& sig = *s.target.signal;
        std::vector<const snapshot::Frame*> py;
        for (const auto& fr : crashed->frames)
            if (fr.kind == snapshot::FrameKind::Python) py.push_back(&fr);
        const bool nearSp = sig.address && crashed->stackPointer && *sig.address != 0 &&
                            (*sig.address > *crashed->stackPointer ? *sig.address - *crashed->stackPointer
                                                                   : *crashed->stackPointer - *sig.address) < kGuardDistance;
        const Cycle cycle = py.empty() ? Cycle{} : findCycle(py);
        const bool deep = py.size() >= kExtremeDepth;
        if (!nearSp && !(deep && cycle.repeats * cycle.period * 2 >= py.size())) return outcome;

        Finding f;
        f.id = id();
        f.severity = Severity::Error;
        f.evidence.push_back(signalEvidence(s));
        if (nearSp) {
            Evidence e = threadEvidence(*crashed, "stack", fmt::format(
                "the fault address {:#x} is {} bytes from the stack pointer {:#x}: the stack's guard page",
                *sig.address, *sig.address > *crashed->stackPointer ? *sig.address - *crashed->stackPointer
                                                                    : *crashed->stackPointer - *sig.address,
                *crashed->stackPointer));
            e.address = *sig.address;
            f.evidence.push_back(std::move(e));
        }
        f.evidence.push_back(threadEvidence(*crashed, "thread", fmt::format(
            "{} has {} Python frames", threadLabel(*crashed), py.size())));
        std::string cycleText;
        if (cycle.repeats >= 2) {
            std::vector<std::string> names;
            for (std::size_t i = 0; i < cycle.period; ++i) {
                const auto* fr = py[cycle.start + i];
                names.push_back(fr->qualname.value_or(fr->function));
            }
            cycleText = fmt::format("{}", fmt::join(names, " -> "));
            Evidence e = frameEvidence(*crashed, *py[cycle.start], fmt::format(
                "the cycle {} (period {}) repeats {} times{}", cycleText, cycle.period, cycle.repeats,
                cycle.start + cycle.repeats * cycle.period >= py.size() ? " (to the bottom of the walk)" : ""));
            e.kind = "recursion";
            e.value = cycleText;
            f.evidence.push_back(std::move(e));
        }
        if (s.crash.recursionLimit) {
            Evidence e;
            e.kind = "recursion";
            e.value = std::to_string(*s.crash.recursionLimit);
            e.text = fmt::format("recursion limit (sys.getrecursionlimit()) is {}{}", *s.crash.recursionLimit,
                                 *s.crash.recursionLimit > static_cast<int>(py.size())
                                     ? ": the C stack ran out before the limit was reached" : "");
            f.evidence.push_back(std::move(e));
        }
        f.summary = cycleText.empty()
            ? fmt::format("The {} overflowed its C stack (SIGSEGV on the stack guard).", threadNoun(*crashed))
            : fmt::format("Unbounded recursion through {} overflowed the C stack of {}.", cycleText,
                          threadLabel(*crashed));
        f.advice = "Bound the recursion (or make it iterative). Do not raise sys.setrecursionlimit() above what the "
                   "C stack can hold; threads started with a small threading.stack_size() overflow sooner. "
                   "Python 3.12+ (and 3.14's stack checks) turn many of these into RecursionError.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeStackOverflowRule() { return std::make_unique<StackOverflowRule>(); }

}  // namespace pyautopsy::diagnosis
