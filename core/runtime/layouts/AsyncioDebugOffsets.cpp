#include "runtime/layouts/AsyncioDebugOffsets.h"

#include <fmt/format.h>

#include <cstring>

namespace pyautopsy::runtime {
namespace {

// The words in order (Modules/_asynciomodule.c, Py_AsyncioModuleDebugOffsets).
enum Word {
    kTaskSize, kTaskName, kTaskAwaitedBy, kTaskIsTask, kTaskAwaitedByIsSet, kTaskCoro, kTaskNode,
    kInterpreterSize, kInterpreterTasksHead,
    kThreadSize, kThreadRunningLoop, kThreadRunningTask, kThreadTasksHead,
    kWords
};
static_assert(kWords * 8 == kAsyncioDebugBytes);

// Bounds that no real struct comes near: a table of garbage fails them.
constexpr std::uint64_t kMaxStructSize = 1 << 24;

}  // namespace

std::optional<AsyncioDebugOffsets> parseAsyncioDebugOffsets(std::span<const std::uint8_t> bytes)
{
    if (bytes.size() < kAsyncioDebugBytes) return std::nullopt;
    std::uint64_t w[kWords];
    std::memcpy(w, bytes.data(), sizeof w);
    for (Word size : {kTaskSize, kInterpreterSize, kThreadSize})
        if (w[size] == 0 || w[size] > kMaxStructSize) return std::nullopt;
    // Each pointer-sized member ends inside its struct.
    for (Word field : {kTaskName, kTaskCoro, kTaskNode})
        if (w[field] + 8 > w[kTaskSize]) return std::nullopt;
    if (w[kInterpreterTasksHead] + 8 > w[kInterpreterSize]) return std::nullopt;
    for (Word field : {kThreadRunningLoop, kThreadRunningTask, kThreadTasksHead})
        if (w[field] + 8 > w[kThreadSize]) return std::nullopt;
    AsyncioDebugOffsets out;
    out.taskSize = w[kTaskSize];
    out.taskName = w[kTaskName];
    out.taskCoro = w[kTaskCoro];
    out.taskNode = w[kTaskNode];
    out.interpreterSize = w[kInterpreterSize];
    out.interpreterTasksHead = w[kInterpreterTasksHead];
    out.threadSize = w[kThreadSize];
    out.threadRunningLoop = w[kThreadRunningLoop];
    out.threadRunningTask = w[kThreadRunningTask];
    out.threadTasksHead = w[kThreadTasksHead];
    return out;
}

void applyAsyncioDebugOffsets(const AsyncioDebugOffsets& offsets, AsyncioLayout& layout,
                              std::vector<std::string>& notes)
{
    const std::pair<const char*, std::pair<Offset*, std::uint64_t>> fields[] = {
        {"task size", {&layout.task_size, offsets.taskSize}},
        {"task name", {&layout.task_name, offsets.taskName}},
        {"task coroutine", {&layout.task_coro, offsets.taskCoro}},
        {"task list node", {&layout.task_node, offsets.taskNode}},
        {"interpreter task list", {&layout.interpreter_tasks_head, offsets.interpreterTasksHead}},
        {"thread's running loop", {&layout.thread_running_loop, offsets.threadRunningLoop}},
        {"thread's running task", {&layout.thread_running_task, offsets.threadRunningTask}},
        {"thread's task list", {&layout.thread_tasks_head, offsets.threadTasksHead}},
    };
    for (const auto& [what, target] : fields) {
        auto& [field, value] = target;
        const auto published = static_cast<Offset>(value);
        if (has(*field) && *field != published)
            notes.push_back(fmt::format("_AsyncioDebug: {} at {}, not {} as the layout table says", what, published,
                                        *field));
        *field = published;
    }
}

}  // namespace pyautopsy::runtime
