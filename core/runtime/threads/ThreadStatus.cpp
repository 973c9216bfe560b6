#include "runtime/threads/ThreadStatus.h"

#include <algorithm>
#include <array>

namespace pyautopsy::runtime {
namespace {

// Functions a thread is inside of while it acquires the GIL, across 3.8-3.15.
// take_gil is static (named only where .symtab survives); the exported
// callers around it keep the answer right on stripped interpreters.
constexpr std::array<std::string_view, 7> kGilAcquirers = {
    "take_gil",      "PyEval_RestoreThread", "PyEval_AcquireThread", "PyEval_AcquireLock",
    "_PyThreadState_Attach", "PyGILState_Ensure", "_PyEval_AcquireLock",
};

bool isGilAcquirer(std::string_view name)
{
    return std::find(kGilAcquirers.begin(), kGilAcquirers.end(), name) != kGilAcquirers.end();
}

// Condition-variable waits, under any of glibc's names for them.
bool isConditionWait(std::string_view name)
{
    return name.find("pthread_cond_wait") != std::string_view::npos ||
           name.find("pthread_cond_timedwait") != std::string_view::npos ||
           name.find("pthread_cond_clockwait") != std::string_view::npos;
}

}  // namespace

bool isEvalLoopSymbol(std::string_view name)
{
    constexpr std::string_view kEval = "_PyEval_EvalFrameDefault";
    if (name.substr(0, kEval.size()) != kEval) return false;
    return name.size() == kEval.size() || name[kEval.size()] == '.';
}

snapshot::ThreadStatus statusFromNativeFrames(const std::vector<snapshot::Frame>& frames)
{
    using snapshot::ThreadStatus;
    std::vector<const snapshot::Frame*> native;
    bool hasPythonFrames = false;
    for (const auto& frame : frames) {
        if (frame.kind == snapshot::FrameKind::Native) native.push_back(&frame);
        else hasPythonFrames = true;
    }
    if (native.empty()) return ThreadStatus::Unknown;
    auto firstEval = std::find_if(native.begin(), native.end(),
                                  [](const snapshot::Frame* f) { return isEvalLoopSymbol(f->function); });
    // The module that holds the eval loop: the interpreter's own code.
    const std::string* interpreterModule = firstEval != native.end() ? &(*firstEval)->file : nullptr;

    // Only the frames above the innermost eval loop say what the thread does now.
    for (auto it = native.begin(); it != firstEval; ++it) {
        if (isGilAcquirer((*it)->function)) return ThreadStatus::WaitingForGil;
        if (!isConditionWait((*it)->function) || interpreterModule == nullptr) continue;
        // The GIL is the interpreter's one condition variable (its locks use
        // semaphores): a wait called straight from interpreter code is the
        // GIL, even when the caller (static take_gil) has no symbol left.
        auto caller = std::find_if(it + 1, firstEval, [&](const snapshot::Frame* f) { return f->file != (*it)->file; });
        if (caller != firstEval && (*caller)->file == *interpreterModule) return ThreadStatus::WaitingForGil;
    }
    if (firstEval == native.begin()) return ThreadStatus::RunningPython;
    if (firstEval != native.end()) return ThreadStatus::InCCall;
    return hasPythonFrames ? ThreadStatus::Unknown : ThreadStatus::Idle;
}

snapshot::ThreadStatus statusFromRuntime(const snapshot::Thread& thread)
{
    using snapshot::AttachState;
    using snapshot::ThreadStatus;
    if (thread.holdsGil && *thread.holdsGil) return ThreadStatus::RunningPython;
    // In a GIL build only the thread holding the GIL is attached (3.13+).
    if (thread.attachState == AttachState::Attached) return ThreadStatus::RunningPython;
    if (thread.frames.empty()) return ThreadStatus::Idle;
    if (thread.attachState) return ThreadStatus::Detached;
    return ThreadStatus::Unknown;
}

}  // namespace pyautopsy::runtime
