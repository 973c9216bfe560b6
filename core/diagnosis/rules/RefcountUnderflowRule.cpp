// refcount-underflow: an object was released more often than it was
// referenced. Three kinds of evidence, each enough on its own:
//  - a singleton (None, True, False, a small int, ...) whose refcount is <= 0
//    on a version where it is not immortal (3.8-3.11: "deallocating None");
//  - the crashing thread inside CPython's refcount-error path (none_dealloc,
//    _Py_NegativeRefcount, _Py_FatalRefcountErrorFunc);
//  - objects in freed memory (the debug allocator's 0xDD fill) still
//    referenced from a frame's locals or the crashing thread's registers:
//    the use-after-free an underflow becomes, the only form on 3.12+, where
//    None and friends are immortal and never "deallocated".
#include "diagnosis/Rule.h"
#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {
namespace {

// Native modules that are CPython or the C library, not extension modules.
bool isRuntimeModule(const std::string& path)
{
    std::string_view name = path;
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
    for (std::string_view prefix : {"libpython", "python", "libc.", "libc-", "ld-linux", "libpthread", "libm.",
                                    "libdl", "libgcc", "libstdc++", "libz", "libffi"})
        if (name.substr(0, prefix.size()) == prefix) return true;
    return name.empty();
}

class RefcountUnderflowRule final : public Rule {
public:
    const char* id() const override { return "refcount-underflow"; }

    RuleOutcome evaluate(const snapshot::Snapshot& s) const override
    {
        RuleOutcome outcome;
        Finding f;
        f.id = id();
        const Ending end = ending(s);
        const snapshot::Thread* crashed = crashedThread(s);
        std::string object;     // what the summary names

        // 1. Singletons whose count fell to zero or below (never on immortal versions).
        for (const auto& single : s.runtime.singletons) {
            if (!single.refcount || single.immortal || s.runtime.immortalObjects) continue;
            if (*single.refcount > 0) continue;
            Evidence e;
            e.kind = "refcount";
            e.text = fmt::format("{}'s reference count is {} (it can only reach 0 when it is released more "
                                 "often than it was referenced)", single.name, *single.refcount);
            e.address = single.address;
            e.value = std::to_string(*single.refcount);
            f.evidence.push_back(std::move(e));
            if (object.empty()) object = single.name;
        }

        // 2. The refcount-error path on the crashing thread.
        if (crashed) {
            if (auto i = findNative(*crashed, {NativeRole::NoneDealloc, NativeRole::BoolDealloc,
                                               NativeRole::NegativeRefcount, NativeRole::RefcountFatal,
                                               NativeRole::IntDealloc})) {
                const auto& frame = crashed->frames[*i];
                // Deallocating an int only fails for small ints, which the fatal path shows.
                if (frame.role != NativeRole::IntDealloc ||
                    findNative(*crashed, {NativeRole::FatalError, NativeRole::RefcountFatal})) {
                    f.evidence.push_back(frameEvidence(*crashed, frame, fmt::format("the crashing thread is in {}",
                                                                                    baseSymbol(frame.function))));
                    if (object.empty() && frame.role == NativeRole::NoneDealloc) object = "None";
                    if (object.empty() && frame.role == NativeRole::BoolDealloc) object = "True or False";
                }
            }
            if (s.crash.fatalError && s.crash.fatalError->message &&
                s.crash.fatalError->message->find("deallocating") != std::string::npos) {
                Evidence e;
                e.kind = "fatal-error";
                e.text = fmt::format("Py_FatalError message: \"{}\" (from the target: {})",
                                     *s.crash.fatalError->message, s.crash.fatalError->recoveredFrom);
                e.value = *s.crash.fatalError->message;
                f.evidence.push_back(std::move(e));
            }
        }

        // 3. Freed objects still referenced (use after free).
        const bool diedHere = end == Ending::Crashed;
        std::size_t freedCount = 0;
        for (const auto& t : s.threads) {
            for (const auto& frame : t.frames) {
                for (const auto& local : frame.locals) {
                    for (std::uint64_t address : local.freedObjects) {
                        Evidence e = frameEvidence(t, frame, fmt::format(
                            "local '{}' of {} still refers to the freed object at {:#x} (its type pointer reads "
                            "0xdddd...: memory freed by the debug allocator)", local.name, frameText(frame), address));
                        e.kind = "object";
                        e.address = address;
                        e.value = local.name;
                        f.evidence.push_back(std::move(e));
                        if (object.empty()) object = fmt::format("the object at {:#x} (held by '{}')", address, local.name);
                        ++freedCount;
                    }
                }
            }
        }
        // Freed items of intact containers name the object itself; registers only point near it.
        std::vector<const snapshot::FreedObject*> freedFacts;
        for (const auto& freed : s.crash.freedObjects)
            if (freed.container) freedFacts.push_back(&freed);
        for (const auto& freed : s.crash.freedObjects)
            if (!freed.container) freedFacts.push_back(&freed);
        for (const auto* freedFact : freedFacts) {
            const auto& freed = *freedFact;
            Evidence e;
            e.kind = "object";
            e.text = fmt::format("{} points at freed memory {:#x}: {}", freed.referencedFrom, freed.address, freed.pattern);
            e.address = freed.address;
            e.nativeId = freed.nativeId;
            f.evidence.push_back(std::move(e));
            if (object.empty())
                object = freed.container ? fmt::format("the object at {:#x} (held by the {} at {:#x})", freed.address,
                                                       freed.containerType, *freed.container)
                                         : fmt::format("the object at or next to {:#x}", freed.address);
            ++freedCount;
        }
        if (f.evidence.empty()) return outcome;
        if (freedCount == f.evidence.size() && !diedHere) {
            // Freed objects in a process that did not crash: worth a warning, not a verdict.
            f.severity = Severity::Warning;
        } else {
            f.severity = Severity::Error;
        }

        // Likely culprits: C extensions on the crashing stack, C-level trace/profile hooks.
        if (crashed) {
            for (const auto& frame : crashed->frames) {
                if (frame.kind != snapshot::FrameKind::Native || isRuntimeModule(frame.file)) continue;
                f.evidence.push_back(frameEvidence(*crashed, frame, fmt::format(
                    "extension module code on the crashing stack: {}", frameText(frame))));
                break;
            }
        }
        std::size_t traced = 0;
        const snapshot::Thread* tracedThread = nullptr;
        for (const auto& t : s.threads) {
            if (t.hooks.trace || t.hooks.profile) {
                ++traced;
                if (!tracedThread) tracedThread = &t;
            }
        }
        if (tracedThread) {
            const auto& hook = tracedThread->hooks.trace ? *tracedThread->hooks.trace : *tracedThread->hooks.profile;
            f.evidence.push_back(threadEvidence(*tracedThread, "trace-hook", fmt::format(
                "{} thread(s) have a trace or profile function installed ({} object, C function {}); a C tracer "
                "that mishandles references is a classic cause", traced, hook.objectType.value_or("unknown"),
                hook.symbol.value_or(fmt::format("{:#x}", hook.function)))));
        }

        const bool singleton = object == "None" || object == "True or False" ||
                               (!object.empty() && object.find("object at") == std::string::npos);
        f.summary = singleton
            ? fmt::format("{} was deallocated: its reference count fell to zero because some C code released "
                          "references to it that it never owned.", object)
            : fmt::format("A reference count underflow freed {} while it was still in use; the crash is the "
                          "use after free.", object.empty() ? "an object" : object);
        f.advice = singleton
            ? "Find the C code (extension module, ctypes call, Cython, C tracer) that returns or Py_DECREFs a "
              "borrowed reference to it: use Py_RETURN_NONE / Py_NewRef, and run the tests on a debug build "
              "(python3-dbg) to catch the first bad decref. Python 3.12+ makes None immortal, which hides "
              "this class of bug."
            : "Some C code (an extension module, a ctypes Py_DecRef, a C tracer) dropped a reference it did not "
              "own. Run under a debug build or PYTHONMALLOC=debug with -X dev and tracemalloc to see where the "
              "object was allocated; audit Py_DECREF/Py_XDECREF of borrowed references in the extensions listed.";
        outcome.findings.push_back(std::move(f));
        return outcome;
    }
};

}  // namespace

std::unique_ptr<Rule> makeRefcountUnderflowRule() { return std::make_unique<RefcountUnderflowRule>(); }

}  // namespace pyautopsy::diagnosis
