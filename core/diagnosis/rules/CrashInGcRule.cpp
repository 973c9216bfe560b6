// crash-in-gc: the crashing thread died inside a garbage collection (native
// frames of the collector, or the GC's `collecting` flag). When Python code
// (a __del__ or weakref callback) runs between the collector and the crash,
// the collector only called the code that died: the finding is then info.
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::diagnosis {
namespace {

class CrashInGcRule final : public Rule {
public:
    const char* id() const override { return "crash-in-gc"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        const snapshot::Thread* crashed = crashedThread(s);
        if (!crashed || ending(s) != Ending::Crashed) return outcome;
        auto gcFrame = findNative(*crashed, {NativeRole::GcCollect});
        const snapshot::GcState* gc = nullptr;
        for (const auto& i : s.interpreters)
            if (i.id == crashed->interpreterId && i.state.gc) gc = &*i.state.gc;
        const bool collecting = gc && gc->collecting.value_or(false);
        if (!gcFrame && !collecting) return outcome;

        Finding f;
        f.id = id();
        f.evidence.push_back(signalEvidence(s));
        std::optional<std::size_t> pythonInside;   // a Python frame between the crash and the collector
        if (gcFrame) {
            f.evidence.push_back(frameEvidence(*crashed, crashed->frames[*gcFrame],
                                               fmt::format("the {} is inside the collector",
                                                           threadNoun(*crashed, "crashing"))));
            for (std::size_t i = 0; i < *gcFrame; ++i) {
                const auto& fr = crashed->frames[i];
                if (fr.kind == snapshot::FrameKind::Python) {
                    if (!pythonInside) pythonInside = i;
                    continue;
                }
                if (fr.role == NativeRole::GcStep) {
                    f.evidence.push_back(frameEvidence(*crashed, fr,
                                                       fmt::format("collector step: {}", baseSymbol(fr.function))));
                    break;
                }
            }
            // Who started it: gc.collect() from Python, an allocation, or finalization.
            for (std::size_t i = *gcFrame + 1; i < crashed->frames.size(); ++i) {
                const auto& fr = crashed->frames[i];
                if (fr.kind == snapshot::FrameKind::Python) {
                    f.evidence.push_back(frameEvidence(*crashed, fr, fmt::format(
                        "the collection was started under {}", frameText(fr))));
                    break;
                }
                if (fr.role == NativeRole::Finalize ||
                    fr.role == NativeRole::ModuleTeardown) {
                    f.evidence.push_back(frameEvidence(*crashed, fr, "the collection was run by finalization"));
                    break;
                }
            }
        }
        if (gc) {
            Evidence e;
            e.kind = "gc";
            e.text = fmt::format("GC state: collecting={}", collecting ? "yes" : "no");
            if (gc->collectingGeneration) e.text += fmt::format(", generation {}", *gc->collectingGeneration);
            else e.text += " (this version does not record which generation)";
            if (gc->collectingFunction) e.text += fmt::format(", started by {}", *gc->collectingFunction);
            f.evidence.push_back(std::move(e));
        }
        // An intact container holding a freed item is the object being traversed;
        // a register pointing into freed memory is only near it.
        const bool containerFound = std::any_of(s.crash.freedObjects.begin(), s.crash.freedObjects.end(),
                                                [](const auto& freed) { return freed.container.has_value(); });
        for (const auto& freed : s.crash.freedObjects) {
            if (containerFound && !freed.container) continue;
            Evidence e;
            e.kind = "object";
            e.text = freed.container
                         ? fmt::format("object being traversed: the {} at {:#x} (reached from {} of the crashing "
                                       "thread), whose {} is the freed object at {:#x}",
                                       freed.containerType, *freed.container, freed.containerFoundFrom,
                                       freed.containerSlot, freed.address)
                         : fmt::format("object being traversed: freed memory at {:#x} ({})", freed.address,
                                       freed.referencedFrom);
            e.address = freed.address;
            f.evidence.push_back(std::move(e));
        }
        if (pythonInside) {
            f.severity = Severity::Info;
            f.summary = fmt::format("The crash happened in Python code ({}) that the garbage collector was running "
                                    "(a finalizer or callback), not in the collector itself.",
                                    frameText(crashed->frames[*pythonInside]));
            f.advice = "Look at the finalizer (__del__, weakref callback) named above: it runs at an arbitrary "
                       "point, in whichever thread triggered the collection.";
        } else {
            f.severity = Severity::Error;
            f.summary = "The process crashed inside the garbage collector, which usually means it met a corrupted "
                        "object: one freed too early, or whose tp_traverse is wrong.";
            f.advice = "Suspect refcount errors in C extensions (an object freed while containers still hold it) "
                       "and tp_traverse/tp_clear of extension types. Reproduce with PYTHONMALLOC=debug or a debug "
                       "build, where the collector checks objects (visit_decref asserts) before using them.";
        }
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeCrashInGcRule() { return std::make_unique<CrashInGcRule>(); }

}  // namespace pyautopsy::diagnosis
