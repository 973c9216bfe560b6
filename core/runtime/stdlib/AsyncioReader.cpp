#include "runtime/stdlib/AsyncioReader.h"

#include "runtime/code/ValueStack.h"
#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ContainerItems.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ModuleLookup.h"
#include "runtime/threads/LocalsReader.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace pyautopsy::runtime {
namespace {

// Collects one interpreter's tasks: registry, per-thread lists, coroutine chains.
class TaskCollector {
public:
    TaskCollector(const ObjectReader& reader, FrameWalker& frames) : m_reader(reader), m_frames(frames) {}

    void run(std::uint64_t interp, std::int64_t interpreterId, const std::vector<std::uint64_t>& threadStates,
             snapshot::AsyncioState& out);

private:
    std::vector<std::uint64_t> registeredTasks(std::uint64_t tasksModuleGlobals, std::vector<std::string>& notes);
    void addListedTasks(std::uint64_t head, std::vector<std::uint64_t>& tasks);
    bool isCTask(std::uint64_t object);
    bool isPyTask(std::uint64_t object);
    snapshot::AsyncTask readTask(std::uint64_t task, std::uint64_t& loop, std::uint64_t& waiter);
    snapshot::AsyncTask readPyTask(std::uint64_t task, std::uint64_t& loop, std::uint64_t& waiter);
    std::uint64_t attributeOrZero(const DictItems& attrs, std::string_view name);
    void followCoroutine(std::uint64_t coro, snapshot::AsyncTask& task);
    std::optional<std::uint64_t> awaitedObject(std::uint64_t frame, std::uint64_t code);
    std::optional<std::uint64_t> awaitedOnStack(std::uint64_t frame, std::uint64_t code);
    bool resumesAwait(std::uint64_t frame, std::uint64_t code);
    void noteTaskGroup(std::uint64_t task, const snapshot::Frame& frame);
    std::vector<std::uint64_t> awaitedTasks(std::uint64_t task, std::uint64_t waiter,
                                            const std::unordered_set<std::uint64_t>& tasks);
    std::string typeName(std::uint64_t object);

    const ObjectReader& m_reader;
    FrameWalker& m_frames;
    ValueStackReader m_stacks{m_reader};
    std::unordered_map<std::uint64_t, bool> m_taskTypes;    // type -> is _asyncio.Task or a subclass
    InstanceAttributes m_attributes{m_reader};
    DictReader m_dicts{m_reader};
    ObjectRepr m_repr{m_reader};
    LocalsReader m_locals{m_reader, m_repr};
    // A task suspended in a TaskGroup's exit waits for the group's tasks:
    // task -> the TaskGroup object its coroutine chain is exiting.
    std::unordered_map<std::uint64_t, std::uint64_t> m_groupOf;
};

std::string TaskCollector::typeName(std::uint64_t object)
{
    try {
        return m_reader.typeNameOf(object).value_or("");
    } catch (const target::MemoryFault&) {
        return "";
    }
}

bool TaskCollector::isCTask(std::uint64_t object)
{
    const auto& t = m_reader.runtime().layout.type;
    std::uint64_t type = m_reader.typeOf(object);
    if (auto it = m_taskTypes.find(type); it != m_taskTypes.end()) return it->second;
    bool found = false;
    std::uint64_t walk = type;
    for (std::size_t depth = 0; walk != 0 && depth < m_reader.limits().maxTypeChain && !found; ++depth) {
        found = m_reader.typeName(walk).value_or("") == "_asyncio.Task";
        walk = readPointerField(m_reader.memory(), walk, t.tp_base);
    }
    m_taskTypes.emplace(type, found);
    return found;
}

// asyncio.tasks' registry: a WeakSet of the tasks scheduled (and, 3.12+, the
// set of eager tasks that have not yet suspended).
std::vector<std::uint64_t> TaskCollector::registeredTasks(std::uint64_t globals, std::vector<std::string>& notes)
{
    const auto& a = m_reader.runtime().layout.asyncio;
    const auto& memory = m_reader.memory();
    DictReader dicts(m_reader);
    InstanceAttributes attributes(m_reader);
    std::vector<std::uint64_t> tasks;
    for (const char* name : {"_all_tasks", "_scheduled_tasks"}) {
        auto weakSet = dicts.findStr(globals, name);
        if (!weakSet) continue;
        try {
            auto data = attributes.find(*weakSet, "data");
            if (!data) continue;
            for (std::uint64_t ref : setItems(m_reader, *data, m_reader.limits().maxAsyncioTasks)) {
                std::uint64_t object = readPointerField(memory, ref, a.weakref_object);
                if (object != 0 && object != m_reader.runtime().objects.none.value_or(0)) tasks.push_back(object);
            }
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("asyncio.tasks.{} unreadable: {}", name, fault.what()));
        }
    }
    if (auto eager = dicts.findStr(globals, "_eager_tasks")) {
        try {
            auto items = setItems(m_reader, *eager, m_reader.limits().maxAsyncioTasks);
            tasks.insert(tasks.end(), items.begin(), items.end());
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("asyncio.tasks._eager_tasks unreadable: {}", fault.what()));
        }
    }
    return tasks;
}

// 3.14+: a circular list of struct llist_node embedded in each C task.
void TaskCollector::addListedTasks(std::uint64_t head, std::vector<std::uint64_t>& tasks)
{
    const auto& a = m_reader.runtime().layout.asyncio;
    const auto& memory = m_reader.memory();
    std::unordered_set<std::uint64_t> seen;
    std::uint64_t node = memory.readPointer(head);   // llist_node.next is its first member
    while (node != 0 && node != head && seen.size() < m_reader.limits().maxAsyncioTasks && seen.insert(node).second) {
        tasks.push_back(node - static_cast<std::uint64_t>(a.task_node));
        node = memory.readPointer(node);
    }
}

// A task written in Python (asyncio.tasks._PyTask, or a subclass of it):
// no C layout, but the attributes Future and Task set in __init__.
bool TaskCollector::isPyTask(std::uint64_t object)
{
    DictItems attrs = m_attributes.all(object, m_reader.limits().maxContainerItems);
    return m_dicts.findStr(attrs, "_coro") && m_dicts.findStr(attrs, "_loop") && m_dicts.findStr(attrs, "_fut_waiter");
}

// The attribute's object, or 0 when it is missing or None.
std::uint64_t TaskCollector::attributeOrZero(const DictItems& attrs, std::string_view name)
{
    auto value = m_dicts.findStr(attrs, name);
    if (!value || *value == 0 || typeName(*value) == "NoneType") return 0;
    return *value;
}

snapshot::AsyncTask TaskCollector::readPyTask(std::uint64_t task, std::uint64_t& loop, std::uint64_t& waiter)
{
    snapshot::AsyncTask out;
    out.address = task;
    DictItems attrs = m_attributes.all(task, m_reader.limits().maxContainerItems);
    loop = attributeOrZero(attrs, "_loop");
    waiter = attributeOrZero(attrs, "_fut_waiter");
    if (auto name = m_reader.readString(attributeOrZero(attrs, "_name"))) out.name = *name;
    // Futures' states are the strings 'PENDING', 'CANCELLED' and 'FINISHED';
    // the instance has its own only once it changed from the class's PENDING.
    const auto state = m_reader.readString(attributeOrZero(attrs, "_state")).value_or("PENDING");
    out.state = state == "PENDING" ? "pending" : state == "CANCELLED" ? "cancelled" : state == "FINISHED" ? "finished"
                                                                                                         : "unknown";
    if (out.state == "pending") followCoroutine(attributeOrZero(attrs, "_coro"), out);
    return out;
}

snapshot::AsyncTask TaskCollector::readTask(std::uint64_t task, std::uint64_t& loop, std::uint64_t& waiter)
{
    const auto& a = m_reader.runtime().layout.asyncio;
    const auto& memory = m_reader.memory();
    snapshot::AsyncTask out;
    out.address = task;
    loop = readPointerField(memory, task, a.future_loop);
    waiter = readPointerField(memory, task, a.task_fut_waiter);
    std::uint64_t name = readPointerField(memory, task, a.task_name);
    if (auto text = m_reader.readString(name)) {
        out.name = *text;
    } else if (auto number = m_reader.readSmallInt(name)) {
        out.name = fmt::format("Task-{}", *number);   // 3.13+ names tasks lazily: get_name() formats this
    }
    switch (readField<std::int32_t>(memory, task, a.future_state)) {
    case 0: out.state = "pending"; break;
    case 1: out.state = "cancelled"; break;
    case 2: out.state = "finished"; break;
    default: out.state = "unknown"; break;
    }
    if (out.state == "pending") followCoroutine(readPointerField(memory, task, a.task_coro), out);
    return out;
}

// The chain of coroutines the task's coroutine is suspended in, following
// what each one awaits; ends at the first object that is not a coroutine.
void TaskCollector::followCoroutine(std::uint64_t coro, snapshot::AsyncTask& task)
{
    const auto& rt = m_reader.runtime();
    const auto& memory = m_reader.memory();
    for (std::size_t depth = 0; coro != 0 && depth < m_reader.limits().maxAwaitDepth; ++depth) {
        std::string type = typeName(coro);
        if (type != "coroutine" && type != "generator" && type != "async_generator") {
            if (type == "_asyncio.FutureIter") {
                // Future.__await__'s iterator: the future itself is what the task waits for.
                std::uint64_t future = readPointerField(memory, coro, rt.layout.asyncio.futureiter_future);
                task.waitsFor = typeName(future);
                task.waitsForAddress = future;
            } else if (!type.empty()) {
                task.waitsFor = type;
                task.waitsForAddress = coro;
            }
            break;
        }
        std::uint64_t frame = rt.caps.frames == FrameModel::FrameObjects
                                  ? readPointerField(memory, coro, rt.layout.gen.gi_frame)
                                  : fieldAddress(coro, rt.layout.gen.gi_iframe);
        if (frame == 0) break;   // finished
        auto described = m_frames.frameAt(frame);
        if (!described || !described->codeAddress) break;
        auto awaited = awaitedObject(frame, *described->codeAddress);
        noteTaskGroup(task.address, *described);
        task.coroutineStack.push_back(std::move(*described));
        if (!awaited) break;
        coro = *awaited;
    }
    std::reverse(task.coroutineStack.begin(), task.coroutineStack.end());
}

std::optional<std::uint64_t> TaskCollector::awaitedObject(std::uint64_t frame, std::uint64_t code)
{
    if (!resumesAwait(frame, code)) return std::nullopt;
    return awaitedOnStack(frame, code);
}

// Is the suspended frame's next instruction the resumption of an await (or
// yield from)? <= 3.10 a suspended yield-from re-executes YIELD_FROM, so it
// follows f_lasti; 3.11+ the next instruction is RESUME with oparg 2 or 3.
bool TaskCollector::resumesAwait(std::uint64_t frame, std::uint64_t code)
{
    const auto& rt = m_reader.runtime();
    const auto& L = rt.layout;
    const auto& memory = m_reader.memory();
    if (rt.caps.frames == FrameModel::FrameObjects) {
        int lasti = readField<std::int32_t>(memory, frame, L.frameObject.f_lasti);
        if (lasti < 0) return false;
        std::int64_t bytes = rt.caps.lasti == LastiModel::FrameLastiUnits ? std::int64_t{lasti} * 2 : lasti;
        std::uint64_t codeBytes = readPointerField(memory, code, L.code.co_code);
        auto size = readField<std::int64_t>(memory, codeBytes, L.object.bytes_size);
        if (bytes + 2 >= size) return false;
        auto opcode = memory.read<std::uint8_t>(fieldAddress(codeBytes, L.object.bytes_sval) + static_cast<std::uint64_t>(bytes) + 2);
        return opcode == L.bytecode.yield_from;
    }
    std::uint64_t next = readPointerField(memory, frame, L.interpreterFrame.instr_ptr);
    if (rt.caps.lasti == LastiModel::PrevInstr) next += 2;   // prev_instr: the YIELD_VALUE before it
    std::uint8_t instruction[2] = {};
    memory.readBytes(next, instruction, sizeof instruction);
    const int opcode = instruction[0];
    const bool resume = opcode == L.bytecode.resume || opcode == L.bytecode.resume_quick ||
                        opcode == L.bytecode.resume_check || opcode == L.bytecode.resume_check_jit ||
                        opcode == L.bytecode.instrumented_resume;
    return resume && (instruction[1] & 3) >= 2;   // low bits: 2 after yield from, 3 after await
}

// What a frame suspended in an await holds: the object on its value stack
// Capabilities::awaitedStackDepth slots below the top it recorded.
std::optional<std::uint64_t> TaskCollector::awaitedOnStack(std::uint64_t frame, std::uint64_t code)
{
    const ValueStack stack = m_stacks.read(frame, code);
    const auto depth = static_cast<std::size_t>(m_reader.runtime().caps.awaitedStackDepth);
    if (!stack.exactTop || stack.slots.size() < depth) return std::nullopt;
    const std::uint64_t top = stack.slots[stack.slots.size() - depth];
    if (top == 0) return std::nullopt;
    return top;
}

// The tasks a task waits for: its fut_waiter when that is a task, or the
// children of the gather() future it waits on.
// asyncio.TaskGroup (3.11+): its __aexit__ (3.13+: _aexit) waits on a
// plain future until every task of the group (`_tasks`) is done.
void TaskCollector::noteTaskGroup(std::uint64_t task, const snapshot::Frame& frame)
{
    if ((frame.function != "__aexit__" && frame.function != "_aexit") || !frame.address || !frame.codeAddress) return;
    const std::string_view tail = "taskgroups.py";
    if (frame.file.size() < tail.size() || frame.file.compare(frame.file.size() - tail.size(), tail.size(), tail) != 0)
        return;
    try {
        for (const auto& local : m_locals.values(*frame.address, *frame.codeAddress))
            if (local.name == "self" && local.object != 0) m_groupOf.emplace(task, local.object);
    } catch (const target::MemoryFault&) {
        // The group cannot be named; the future it waits on still is.
    }
}

std::vector<std::uint64_t> TaskCollector::awaitedTasks(std::uint64_t task, std::uint64_t waiter,
                                                       const std::unordered_set<std::uint64_t>& tasks)
{
    std::vector<std::uint64_t> out;
    if (auto group = m_groupOf.find(task); group != m_groupOf.end()) {
        if (auto members = m_attributes.find(group->second, "_tasks")) {
            for (std::uint64_t child : setItems(m_reader, *members, m_reader.limits().maxAsyncioTasks))
                if (tasks.count(child)) out.push_back(child);
        }
        if (!out.empty()) return out;
    }
    if (waiter == 0) return out;
    if (tasks.count(waiter)) {
        out.push_back(waiter);
        return out;
    }
    InstanceAttributes attributes(m_reader);
    auto children = attributes.find(waiter, "_children");
    if (!children || (m_reader.typeFlags(m_reader.typeOf(*children)) & encoding::kTpFlagsListSubclass) == 0) return out;
    for (std::uint64_t child : sequenceItems(m_reader, *children, false, m_reader.limits().maxContainerItems))
        if (tasks.count(child)) out.push_back(child);
    return out;
}

void TaskCollector::run(std::uint64_t interp, std::int64_t interpreterId, const std::vector<std::uint64_t>& threadStates,
                        snapshot::AsyncioState& out)
{
    const auto& rt = m_reader.runtime();
    const auto& L = rt.layout;
    const auto& memory = m_reader.memory();
    if (!has(L.asyncio.task_coro)) return;
    std::uint64_t globals = 0;
    try {
        auto tasksModule = moduleGlobals(m_reader, interp, "asyncio.tasks");
        if (!tasksModule) return;   // asyncio never imported: nothing to show
        globals = *tasksModule;
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("sys.modules unreadable: {}", fault.what()));
        return;
    }

    std::vector<std::uint64_t> found = registeredTasks(globals, out.notes);
    // Which thread runs which loop, and (3.14+) which task it is running.
    std::map<std::uint64_t, std::uint64_t> loopThread;    // loop -> thread ident
    std::unordered_set<std::uint64_t> runningTasks;
    for (std::uint64_t ts : threadStates) {
        try {
            if (has(L.asyncio.thread_tasks_head)) addListedTasks(fieldAddress(ts, L.asyncio.thread_tasks_head), found);
            if (has(L.asyncio.thread_running_loop)) {
                std::uint64_t loop = readPointerField(memory, ts, L.asyncio.thread_running_loop);
                if (loop != 0) loopThread[loop] = readField<std::uint64_t>(memory, ts, L.thread.thread_id);
            }
            if (has(L.asyncio.thread_running_task)) {
                std::uint64_t task = readPointerField(memory, ts, L.asyncio.thread_running_task);
                if (task != 0) runningTasks.insert(task);
            }
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("asyncio state of thread state {:#x} unreadable: {}", ts, fault.what()));
        }
    }
    if (has(L.asyncio.interpreter_tasks_head)) {
        try {
            addListedTasks(fieldAddress(interp, L.asyncio.interpreter_tasks_head), found);
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("the interpreter's asyncio task list is unreadable: {}", fault.what()));
        }
    }
    // <= 3.13: the running task of each loop is in asyncio.tasks._current_tasks.
    DictReader dicts(m_reader);
    if (auto current = dicts.findStr(globals, "_current_tasks")) {
        try {
            for (const auto& item : dicts.items(*current, m_reader.limits().maxContainerItems).items)
                runningTasks.insert(item.value);
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("asyncio.tasks._current_tasks unreadable (running tasks not marked): {}",
                                            fault.what()));
        }
    }

    std::vector<std::uint64_t> tasks;
    std::unordered_set<std::uint64_t> taskSet;
    for (std::uint64_t task : found) {
        if (taskSet.count(task)) continue;
        try {
            if (!isCTask(task) && !isPyTask(task)) continue;
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("task {:#x}: type unreadable: {}", task, fault.what()));
            continue;
        }
        taskSet.insert(task);
        tasks.push_back(task);
    }

    std::map<std::uint64_t, std::size_t> loopIndex;
    std::vector<snapshot::EventLoop> loops;
    std::vector<std::uint64_t> waiterOf;                 // per task found, its fut_waiter
    std::vector<std::pair<std::size_t, std::size_t>> slots;   // per task found: (loop, index in loop)
    InstanceAttributes attributes(m_reader);
    for (std::uint64_t address : tasks) {
        std::uint64_t loop = 0;
        std::uint64_t waiter = 0;
        snapshot::AsyncTask task;
        try {
            task = isCTask(address) ? readTask(address, loop, waiter) : readPyTask(address, loop, waiter);
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("task {:#x} unreadable: {}", address, fault.what()));
            continue;
        }
        task.running = runningTasks.count(address) != 0;
        auto [it, inserted] = loopIndex.emplace(loop, loops.size());
        if (inserted) {
            snapshot::EventLoop info;
            info.address = loop;
            info.type = typeName(loop);
            info.interpreterId = interpreterId;
            if (auto thread = loopThread.find(loop); thread != loopThread.end()) {
                info.threadId = thread->second;
                info.threadFrom = "the thread state's running loop";
            } else {
                try {
                    // BaseEventLoop.run_forever() keeps the running thread's ident.
                    auto ident = attributes.find(loop, "_thread_id");
                    auto value = ident ? m_reader.readSmallInt(*ident) : std::nullopt;
                    if (value) {
                        info.threadId = static_cast<std::uint64_t>(*value);
                        info.threadFrom = "loop._thread_id";
                    }
                } catch (const target::MemoryFault& fault) {
                    out.notes.push_back(fmt::format("event loop {:#x}: _thread_id unreadable: {}", loop, fault.what()));
                }
            }
            loops.push_back(std::move(info));
        }
        slots.emplace_back(it->second, loops[it->second].tasks.size());
        waiterOf.push_back(waiter);
        loops[it->second].tasks.push_back(std::move(task));
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
        auto& task = loops[slots[i].first].tasks[slots[i].second];
        try {
            task.awaits = awaitedTasks(task.address, waiterOf[i], taskSet);
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("task {}: the tasks it awaits are unreadable: {}", task.name, fault.what()));
        }
        if (!task.waitsFor && waiterOf[i] != 0) {
            task.waitsFor = typeName(waiterOf[i]);
            task.waitsForAddress = waiterOf[i];
        }
    }
    for (auto& loop : loops) out.loops.push_back(std::move(loop));
}

}  // namespace

void readAsyncio(const ObjectReader& reader, FrameWalker& frames, std::uint64_t interp, std::int64_t interpreterId,
                 const std::vector<std::uint64_t>& threadStates, snapshot::AsyncioState& out)
{
    try {
        TaskCollector(reader, frames).run(interp, interpreterId, threadStates, out);
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("asyncio state unreadable: {}", fault.what()));
    }
}

}  // namespace pyautopsy::runtime
