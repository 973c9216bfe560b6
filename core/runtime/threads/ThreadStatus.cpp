#include "runtime/threads/ThreadStatus.h"

#include <algorithm>

namespace pyautopsy::runtime {
namespace {

// Condition-variable waits, under any of glibc's names for them.
bool isConditionWait(std::string_view name)
{
    return name.find("pthread_cond_wait") != std::string_view::npos ||
           name.find("pthread_cond_timedwait") != std::string_view::npos ||
           name.find("pthread_cond_clockwait") != std::string_view::npos;
}

}  // namespace

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
                                  [](const snapshot::Frame* f) { return f->role == snapshot::NativeRole::EvalLoop; });
    // The module that holds the eval loop: the interpreter's own code.
    const std::string* interpreterModule = firstEval != native.end() ? &(*firstEval)->file : nullptr;

    // Only the frames above the innermost eval loop say what the thread does now.
    for (auto it = native.begin(); it != firstEval; ++it) {
        if ((*it)->role == snapshot::NativeRole::GilWait) return ThreadStatus::WaitingForGil;
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
