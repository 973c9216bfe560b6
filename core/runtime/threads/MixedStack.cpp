#include "runtime/threads/MixedStack.h"

#include "runtime/layouts/NativeFunctions.h"
#include "runtime/threads/ThreadStatus.h"

#include <fmt/format.h>

#include <iterator>

namespace pyautopsy::runtime {
namespace {

// Python frames cut into the runs that one eval-loop call each executes, as
// [first, last) ranges of indexes.
struct EvalGroup {
    std::size_t first = 0, last = 0;
};

std::vector<EvalGroup> evalGroups(const std::vector<snapshot::Frame>& python, bool groupsEndAtEntry)
{
    std::vector<EvalGroup> groups;
    std::size_t first = 0;
    for (std::size_t i = 0; i < python.size(); ++i) {
        if (!groupsEndAtEntry || python[i].entry) {
            groups.push_back({first, i + 1});
            first = i + 1;
        }
    }
    // Frames below the last entry flag (a flag that could not be read) still
    // belong to some eval call: keep them as one more group.
    if (first < python.size()) groups.push_back({first, python.size()});
    return groups;
}

// Appends a group's frames to `out`, moving them out of `python`.
void moveGroup(std::vector<snapshot::Frame>& python, const EvalGroup& group, std::vector<snapshot::Frame>& out)
{
    const auto begin = python.begin() + static_cast<std::ptrdiff_t>(group.first);
    const auto end = python.begin() + static_cast<std::ptrdiff_t>(group.last);
    out.insert(out.end(), std::make_move_iterator(begin), std::make_move_iterator(end));
}

// The native frame whose stack memory holds `address`: frame i owns
// [sp of i, sp of its caller), where its locals live.
std::optional<std::size_t> frameHolding(const std::vector<unwind::NativeFrame>& native, std::size_t from,
                                        std::uint64_t address)
{
    for (std::size_t i = from; i + 1 < native.size(); ++i) {
        if (native[i].sp != 0 && native[i].sp <= address && address < native[i + 1].sp) return i;
    }
    return std::nullopt;
}

}  // namespace

snapshot::Frame toSnapshotFrame(unwind::NativeFrame native)
{
    snapshot::Frame frame;
    frame.kind = snapshot::FrameKind::Native;
    frame.role = nativeRoleOf(native.function);
    frame.function = std::move(native.function);
    frame.file = std::move(native.module);
    frame.address = native.pc;
    frame.symbolOffset = native.symbolOffset;
    return frame;
}

Interleaving interleave(std::vector<snapshot::Frame> python, std::vector<unwind::NativeFrame> native,
                        bool groupsEndAtEntry)
{
    Interleaving out;
    // Exactly once: a 300-deep recursion before 3.11 is ~1,500 native frames,
    // and growing by doubling would hold two copies of them at once.
    out.frames.reserve(python.size() + native.size());
    const auto groups = evalGroups(python, groupsEndAtEntry);

    // Which native frame runs each group, innermost first. The surest
    // evidence is the group's shim frame (3.12+), a local of the eval call
    // that runs it: this needs no symbol, so it works where the eval loop's
    // body is unnamed (split into a stripped .cold part). Otherwise the next
    // frame named as the eval loop.
    std::vector<std::size_t> anchors;
    std::vector<bool> anchoredByStack(native.size(), false);
    std::size_t from = 0;
    for (const auto& group : groups) {
        std::optional<std::size_t> anchor;
        if (const auto& shim = python[group.last - 1].shimAddress) {
            anchor = frameHolding(native, from, *shim);
            if (anchor) anchoredByStack[*anchor] = true;
        }
        for (std::size_t i = from; !anchor && i < native.size(); ++i) {
            if (nativeRoleOf(native[i].function) == snapshot::NativeRole::EvalLoop) anchor = i;
        }
        if (!anchor) break;
        anchors.push_back(*anchor);
        from = *anchor + 1;
    }

    std::size_t next = 0;
    std::size_t unmatchedEvalFrames = 0;
    for (std::size_t i = 0; i < native.size(); ++i) {
        snapshot::Frame frame = toSnapshotFrame(std::move(native[i]));
        if (next < anchors.size() && anchors[next] == i) {
            moveGroup(python, groups[next++], out.frames);
            // Holding the eval call's shim makes this frame the eval loop,
            // whatever its (stripped) symbol table says.
            if (anchoredByStack[i] && frame.function.empty()) {
                frame.function = std::string(kEvalLoopFunction);
                frame.role = snapshot::NativeRole::EvalLoop;
            }
        } else if (frame.role == snapshot::NativeRole::EvalLoop) {
            ++unmatchedEvalFrames;
        }
        out.frames.push_back(std::move(frame));
    }
    const std::size_t leftover = groups.size() - next;
    for (; next < groups.size(); ++next) moveGroup(python, groups[next], out.frames);
    if (leftover != 0 || unmatchedEvalFrames != 0) {
        out.notes.push_back(fmt::format(
            "{} of {} group(s) of Python frames matched no eval-loop native frame (placed outermost, in order); "
            "{} eval-loop native frame(s) ran no Python frame found",
            leftover, groups.size(), unmatchedEvalFrames));
    }
    return out;
}

MixedStackBuilder::MixedStackBuilder(target::Target& target, const target::ModuleIndex& modules,
                                     const Capabilities& caps, const Limits& limits)
    : m_target(target), m_unwinder(target, modules, limits), m_groupsEndAtEntry(caps.frames != FrameModel::FrameObjects)
{
}

void MixedStackBuilder::addNativeFrames(snapshot::Thread& thread)
{
    const target::ThreadInfo* info = nullptr;
    if (thread.nativeId) {
        for (const auto& candidate : m_target.threads())
            if (candidate.tid == *thread.nativeId) info = &candidate;
    }
    if (info == nullptr) {
        thread.nativeNotes.push_back("no native thread matches this thread state; native frames unavailable");
        return;
    }
    m_described.insert(info->tid);
    unwind::NativeStack stack = m_unwinder.unwind(*info);
    thread.nativeNotes.insert(thread.nativeNotes.end(), stack.notes.begin(), stack.notes.end());
    if (!stack.available) return;
    Interleaving mixed = interleave(std::move(thread.frames), std::move(stack.frames), m_groupsEndAtEntry);
    thread.frames = std::move(mixed.frames);
    thread.status = statusFromNativeFrames(thread.frames);
    thread.nativeNotes.insert(thread.nativeNotes.end(), mixed.notes.begin(), mixed.notes.end());
}

void MixedStackBuilder::addThreadsWithoutPython(snapshot::Snapshot& snapshot, std::optional<std::int32_t> crashedTid)
{
    for (const auto& t : snapshot.threads)
        if (t.nativeId) m_described.insert(*t.nativeId);
    for (const auto& info : m_target.threads()) {
        if (m_described.count(info.tid)) continue;
        snapshot::Thread thread;
        thread.nativeId = info.tid;
        thread.crashed = crashedTid && *crashedTid == info.tid;
        thread.nativeNotes.push_back("no Python thread state: a native thread");
        unwind::NativeStack stack = m_unwinder.unwind(info);
        thread.nativeNotes.insert(thread.nativeNotes.end(), stack.notes.begin(), stack.notes.end());
        thread.frames.reserve(stack.frames.size());
        for (auto& frame : stack.frames) thread.frames.push_back(toSnapshotFrame(std::move(frame)));
        // Waiting for the GIL (PyGILState_Ensure) is the one status that
        // means something for a thread that runs no Python.
        if (stack.available && statusFromNativeFrames(thread.frames) == snapshot::ThreadStatus::WaitingForGil)
            thread.status = snapshot::ThreadStatus::WaitingForGil;
        snapshot.threads.push_back(std::move(thread));
    }
}

}  // namespace pyautopsy::runtime
