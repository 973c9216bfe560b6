// TreeCapture: a live process and every descendant, each CPython process
// snapshotted on its own (`pyautopsy pid --tree`, and `run --hang-timeout`
// when the command hangs).
//
// Lists the tree from /proc (target/ProcessList.h), reads each process's
// blocking facts (target/BlockingFacts.h) without stopping anyone, then
// analyses the processes one at a time, parents first, exactly as `pyautopsy
// pid` does: each is stopped only for its own snapshot and let go before the
// next one is touched, so a tree is never stopped as a whole (nor left
// stopped: ProcessStopper's guarantees hold for each). Runs in the calling
// process, never in a helper: with Yama's ptrace_scope 1 (most CI runners)
// only an ancestor may trace, and `run` is the ancestor of its command.
// A process without a supported CPython is listed, not analysed; one that
// exits meanwhile is a note. Throws only when the root does not exist.
#pragma once

#include "batch/TreeResult.h"
#include "engine/Engine.h"
#include "report/TextReport.h"
#include "support/Limits.h"
#include "target/LiveProcessTarget.h"

namespace pyautopsy::batch {

struct TreeCaptureOptions {
    target::LiveOptions live;           // how each process is held (--max-stop-ms)
    engine::AnalysisOptions analysis;   // what each report shows (--locals, --native)
    report::TextOptions text;           // how each report's text is written
    bool includeRoot = true;            // false: only the root's descendants (run: the root is pyautopsy)
    Limits limits = kDefaultLimits;
};

TreeResult captureTree(int root, const TreeCaptureOptions& options);

}  // namespace pyautopsy::batch
