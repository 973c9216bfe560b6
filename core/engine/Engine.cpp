#include "engine/Engine.h"

#include "diagnosis/Diagnose.h"
#include "runtime/discovery/Runtime.h"
#include "runtime/layouts/NativeFunctions.h"
#include "snapshot/Ending.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <exception>

namespace pyautopsy::engine {

namespace {

// A bound on walks of one target; LiveProcessTarget needs at most four.
constexpr int kMaxWalks = 6;

}  // namespace

snapshot::Snapshot analyze(target::Target& target, const AnalysisOptions& options)
{
    target::Memory memory(target);
    target::ModuleIndex modules(target);
    try {
        runtime::Runtime rt = runtime::openRuntime(memory, modules);
        // The target says whether a walk read one moment (a live process's
        // rehearsal did not; a copy that lacked a page did not): walk again.
        // A walk that failed on a torn moment is retried too.
        for (int walk = 1;; ++walk) {
            target.beginWalk();
            try {
                snapshot::Snapshot snapshot = runtime::buildSnapshot(memory, modules, rt, options.snapshot);
                if (target.walkWasConsistent() || walk == kMaxWalks) return snapshot;
            } catch (const std::exception&) {
                if (target.walkWasConsistent() || walk == kMaxWalks) throw;
            }
        }
    } catch (const Error& e) {
        // A wrong or upgraded binary is the usual reason CPython cannot be
        // found: say so in the same line.
        if (modules.warnings().empty()) throw;
        throw Error(e.kind(), fmt::format("{} ({})", e.what(), fmt::join(modules.warnings(), "; ")));
    }
}

namespace {

// What the rules need beyond what is shown, by how the process ended: a
// crash is explained by the crashing thread (its native frames: abort, a
// fatal error, the collector; its locals: a freed object still held); a
// process killed or dumped from outside is usually hung, which every
// thread's native frames explain (lock waits in C). A live process held
// stopped by pyautopsy gets nothing extra: it must run again soon, and its
// threads' system calls (orig_rax) already tell which are blocked.
AnalysisOptions withEvidence(const target::Target& target, AnalysisOptions options)
{
    if (options.keepStopShort) return options;
    switch (snapshot::endingOf(runtime::targetFacts(target))) {
    case snapshot::Ending::Crashed:
        options.snapshot.crashedThreadNative = true;
        options.snapshot.crashedThreadLocals = true;
        break;
    case snapshot::Ending::Killed:
    case snapshot::Ending::Stopped:
    case snapshot::Ending::Running:
        options.snapshot.native = true;
        break;
    }
    return options;
}

}  // namespace

Report analyzeAndDiagnose(target::Target& target, const AnalysisOptions& options)
{
    const AnalysisOptions evidence = withEvidence(target, options);
    Report report;
    report.snapshot = analyze(target, evidence);
    report.diagnosis = diagnosis::diagnose(report.snapshot);
    report.snapshot = withDetails(std::move(report.snapshot), options.snapshot.native, options.snapshot.locals);
    return report;
}

snapshot::Snapshot withDetails(snapshot::Snapshot full, bool native, bool locals)
{
    if (!native) {
        // Threads without a Python thread state or ident are C threads only --native shows.
        std::erase_if(full.threads, [](const snapshot::Thread& t) { return t.threadStateAddress == 0 && !t.threadId; });
        for (auto& thread : full.threads) {
            std::erase_if(thread.frames, [](const snapshot::Frame& f) { return f.kind == snapshot::FrameKind::Native; });
            thread.nativeNotes.clear();
        }
    }
    if (!locals) {
        for (auto& thread : full.threads)
            for (auto& frame : thread.frames) {
                frame.locals.clear();
                frame.unboundLocals.clear();
            }
    }
    return full;
}

snapshot::NativeRole nativeRole(std::string_view symbol) { return runtime::nativeRoleOf(symbol); }

}  // namespace pyautopsy::engine
