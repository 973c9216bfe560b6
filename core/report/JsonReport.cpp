#include "report/JsonReport.h"

#include "report/DiagnosisReport.h"
#include "report/JsonValue.h"
#include "report/ProcessStateJson.h"
#include "snapshot/Syscalls.h"

#include <map>

namespace pyautopsy::report {
namespace {

nlohmann::json frameJson(const snapshot::Frame& frame)
{
    nlohmann::json j;
    j["kind"] = frame.kind == snapshot::FrameKind::Python ? "python" : "native";
    j["function"] = frame.function;
    j["qualname"] = orNull(frame.qualname);
    j["file"] = frame.file;
    j["line"] = orNull(frame.line);
    if (frame.kind == snapshot::FrameKind::Native) {
        j["address"] = orNull(frame.address);
        j["offset"] = orNull(frame.symbolOffset);
        const std::string_view role = nativeRoleName(frame.role);
        j["role"] = role.empty() ? nlohmann::json(nullptr) : nlohmann::json(role);
    } else {
        j["entry"] = frame.entry;
        j["calling"] = orNull(frame.calling);
        j["started_gc"] = frame.startedGc;
    }
    if (!frame.locals.empty()) {
        nlohmann::json locals = nlohmann::json::object();
        for (const auto& local : frame.locals) locals[local.name] = local.repr;
        j["locals"] = std::move(locals);
    }
    return j;
}

}  // namespace

std::string_view nativeRoleName(snapshot::NativeRole role)
{
    using snapshot::NativeRole;
    switch (role) {
    case NativeRole::None: break;
    case NativeRole::EvalLoop: return "eval_loop";
    case NativeRole::GilWait: return "gil_wait";
    case NativeRole::LockWait: return "lock_wait";
    case NativeRole::GcCollect: return "gc_collect";
    case NativeRole::GcStep: return "gc_step";
    case NativeRole::Finalize: return "finalize";
    case NativeRole::ModuleTeardown: return "module_teardown";
    case NativeRole::AtexitCall: return "atexit_call";
    case NativeRole::ThreadShutdown: return "thread_shutdown";
    case NativeRole::FatalError: return "fatal_error";
    case NativeRole::RefcountFatal: return "refcount_fatal";
    case NativeRole::NegativeRefcount: return "negative_refcount";
    case NativeRole::NoneDealloc: return "none_dealloc";
    case NativeRole::BoolDealloc: return "bool_dealloc";
    case NativeRole::IntDealloc: return "int_dealloc";
    }
    return "";
}

namespace {

nlohmann::json statusJson(snapshot::ThreadStatus status)
{
    switch (status) {
    case snapshot::ThreadStatus::RunningPython: return "running_python";
    case snapshot::ThreadStatus::WaitingForGil: return "waiting_for_gil";
    case snapshot::ThreadStatus::InCCall: return "in_c_call";
    case snapshot::ThreadStatus::Idle: return "idle";
    case snapshot::ThreadStatus::Detached: return "detached";
    case snapshot::ThreadStatus::Unknown: break;
    }
    return nullptr;
}

// Index in thread.frames of the Python frame at `address` (frames JSON order).
nlohmann::json frameIndex(const snapshot::Thread& thread, const std::optional<std::uint64_t>& address)
{
    if (!address) return nullptr;
    for (std::size_t i = 0; i < thread.frames.size(); ++i)
        if (thread.frames[i].kind == snapshot::FrameKind::Python && thread.frames[i].address == address) return i;
    return nullptr;
}

void addLocksJson(nlohmann::json& j, const snapshot::Thread& thread)
{
    j["locks_held"] = nlohmann::json::array();
    for (const auto& hold : thread.locksHeld) {
        j["locks_held"].push_back({{"lock", hold.lock},
                                   {"via", hold.via == snapshot::LockHoldVia::WithBlock ? "with" : "owner"},
                                   {"frame", frameIndex(thread, hold.frame)}});
    }
    if (thread.waitsFor) {
        const auto& wait = *thread.waitsFor;
        j["waiting_for_lock"] = {{"lock", wait.lock},
                                 {"via", wait.via == snapshot::LockWaitVia::Acquire ? "acquire" : "with"},
                                 {"frame", frameIndex(thread, wait.frame)}};
    } else {
        j["waiting_for_lock"] = nullptr;
    }
    j["joining"] = thread.joins ? nlohmann::json{{"thread_id", thread.joins->threadId},
                                                 {"frame", frameIndex(thread, thread.joins->frame)}}
                                : nlohmann::json(nullptr);
}

nlohmann::json lockJson(const snapshot::Lock& lock)
{
    nlohmann::json names = nlohmann::json::array();
    for (const auto& n : lock.names) names.push_back({{"name", n.name}, {"scope", n.scope}, {"where", n.where}});
    return {{"address", lock.address},
            {"type", lock.type},
            {"locked", orNull(lock.locked)},
            {"has_waiters", orNull(lock.hasWaiters)},
            {"owner_thread_id", orNull(lock.ownerThreadId)},
            {"names", std::move(names)}};
}

nlohmann::json attachStateJson(const std::optional<snapshot::AttachState>& state)
{
    if (!state) return nullptr;
    switch (*state) {
    case snapshot::AttachState::Detached: return "detached";
    case snapshot::AttachState::Attached: return "attached";
    case snapshot::AttachState::Suspended: return "suspended";
    case snapshot::AttachState::ShuttingDown: return "shutting_down";
    case snapshot::AttachState::SuspendedWaiting: return "suspended_waiting";
    case snapshot::AttachState::DetachedWaiting: return "detached_waiting";
    }
    return nullptr;
}

nlohmann::json greenletJson(const snapshot::Greenlet& greenlet)
{
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& frame : greenlet.frames) frames.push_back(frameJson(frame));
    return {{"address", greenlet.address},
            {"type", greenlet.type},
            {"state", snapshot::greenletStateName(greenlet.state)},
            {"main", greenlet.main},
            {"parent", orNull(greenlet.parent)},
            {"name", orNull(greenlet.name)},
            {"run", orNull(greenlet.run)},
            {"hub", greenlet.hub},
            {"frames", std::move(frames)},
            {"waits_for", orNull(greenlet.waitsFor)},
            {"notes", greenlet.notes}};
}

nlohmann::json greenletFactsJson(const snapshot::GreenletFacts& facts)
{
    nlohmann::json without = nlohmann::json::array();
    for (const auto& greenlet : facts.withoutThread) without.push_back(greenletJson(greenlet));
    return {{"version", orNull(facts.version)}, {"without_thread", std::move(without)}, {"notes", facts.notes}};
}

nlohmann::json threadJson(const snapshot::Thread& thread)
{
    nlohmann::json j;
    j["thread_id"] = orNull(thread.threadId);
    j["native_id"] = orNull(thread.nativeId);
    j["name"] = orNull(thread.name);
    j["daemon"] = orNull(thread.daemon);
    j["main"] = thread.main;
    j["holds_gil"] = orNull(thread.holdsGil);
    j["gil_drop_requested"] = orNull(thread.gilDropRequested);
    j["crashed"] = thread.crashed;
    j["garbage_collecting"] = thread.garbageCollecting;
    j["status"] = statusJson(thread.status);
    j["attach_state"] = attachStateJson(thread.attachState);
    j["syscall"] = thread.syscall ? nlohmann::json{{"number", *thread.syscall}, {"name", orNull(snapshot::syscallName(*thread.syscall))}}
                                  : nlohmann::json(nullptr);
    // A thread without a Python thread state (--native) belongs to no interpreter.
    j["interpreter_id"] = thread.threadStateAddress != 0 ? nlohmann::json(thread.interpreterId) : nlohmann::json(nullptr);
    addThreadHooksJson(j, thread.hooks);
    addLocksJson(j, thread);
    j["frames"] = nlohmann::json::array();
    for (const auto& frame : thread.frames) j["frames"].push_back(frameJson(frame));
    j["greenlets"] = nlohmann::json::array();
    for (const auto& greenlet : thread.greenlets) j["greenlets"].push_back(greenletJson(greenlet));
    j["notes"] = thread.notes;
    for (const auto& note : thread.nativeNotes) j["notes"].push_back(note);
    return j;
}

nlohmann::json asyncioJson(const snapshot::AsyncioState& state)
{
    nlohmann::json loops = nlohmann::json::array();
    for (const auto& loop : state.loops) {
        std::map<std::uint64_t, std::string> names;
        for (const auto& task : loop.tasks) names[task.address] = task.name;
        nlohmann::json tasks = nlohmann::json::array();
        for (const auto& task : loop.tasks) {
            nlohmann::json t;
            t["address"] = task.address;
            t["name"] = task.name;
            t["state"] = task.state;
            t["running"] = task.running;
            t["coroutine_stack"] = nlohmann::json::array();
            for (const auto& frame : task.coroutineStack) t["coroutine_stack"].push_back(frameJson(frame));
            t["awaits"] = nlohmann::json::array();
            for (std::uint64_t awaited : task.awaits)
                t["awaits"].push_back({{"address", awaited}, {"name", names[awaited]}});
            t["waits_for"] = task.waitsFor ? nlohmann::json{{"type", *task.waitsFor}, {"address", orNull(task.waitsForAddress)}}
                                           : nlohmann::json(nullptr);
            tasks.push_back(std::move(t));
        }
        loops.push_back({{"address", loop.address},
                         {"type", loop.type},
                         {"interpreter_id", loop.interpreterId},
                         {"thread_id", orNull(loop.threadId)},
                         {"thread_from", loop.threadFrom.empty() ? nlohmann::json(nullptr) : nlohmann::json(loop.threadFrom)},
                         {"tasks", std::move(tasks)}});
    }
    return {{"loops", std::move(loops)}, {"notes", state.notes}};
}

nlohmann::json childrenJson(const snapshot::ChildProcesses& children)
{
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& c : children.processes) {
        nlohmann::json mp = nullptr;
        if (c.multiprocessing) {
            const auto& m = *c.multiprocessing;
            mp = {{"address", m.address},
                  {"name", orNull(m.name)},
                  {"daemon", orNull(m.daemon)},
                  {"exitcode", orNull(m.exitcode)},
                  {"popen_type", orNull(m.popenType)}};
        }
        processes.push_back({{"pid", c.pid},
                             {"listed_by_kernel", c.listedByKernel},
                             {"state", orNull(c.state)},
                             {"command", orNull(c.command)},
                             {"multiprocessing", std::move(mp)}});
    }
    return {{"kernel_listed", children.kernelListed}, {"processes", std::move(processes)}, {"notes", children.notes}};
}

}  // namespace

nlohmann::json toJson(const snapshot::Snapshot& s, const diagnosis::Diagnosis& diagnosis)
{
    nlohmann::json j;
    j["schema"] = kJsonSchema;

    nlohmann::json target;
    target["kind"] = s.target.kind;
    target["pid"] = orNull(s.target.pid);
    target["ppid"] = orNull(s.target.ppid);
    target["executable"] = s.target.executable.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.target.executable);
    target["command"] = s.target.command.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.target.command);
    target["core"] = s.target.corePath.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.target.corePath);
    if (s.target.signal) {
        const auto& sig = *s.target.signal;
        target["signal"] = {{"number", sig.number},
                            {"name", sig.name},
                            {"code", sig.code},
                            {"address", orNull(sig.address)},
                            {"sender_pid", orNull(sig.senderPid)}};
    } else {
        target["signal"] = nullptr;
    }
    if (s.forkedFrom) {
        const auto& origin = *s.forkedFrom;
        target["forked_from"] = {{"parent_pid", orNull(origin.parentPid)},
                                 {"forking_thread_native_id", orNull(origin.forkingThreadNativeId)},
                                 {"process_name", orNull(origin.processName)},
                                 {"fork_call", orNull(origin.forkCall)},
                                 {"how", origin.how}};
    } else {
        target["forked_from"] = nullptr;
    }
    j["target"] = std::move(target);

    j["python"] = {{"version", s.python.version},
                   {"debug", s.python.debug},
                   {"runtime_address", s.python.runtimeAddress},
                   {"runtime_found_by", s.python.runtimeFoundBy},
                   {"layout_source", s.python.layoutSource},
                   {"layout_notes", s.python.layoutNotes}};

    j["diagnoses"] = diagnosesJson(diagnosis);
    j["diagnoses_not_analysed"] = notAnalysedJson(diagnosis);
    j["runtime"] = runtimeStateJson(s.runtime);
    j["interpreters"] = nlohmann::json::array();
    for (const auto& interp : s.interpreters) {
        nlohmann::json i = {{"id", interp.id}, {"address", interp.address}, {"main", interp.main}};
        addInterpreterStateJson(i, interp.state);
        j["interpreters"].push_back(std::move(i));
    }

    j["threads"] = nlohmann::json::array();
    for (const auto& thread : s.threads) j["threads"].push_back(threadJson(thread));
    j["asyncio"] = asyncioJson(s.asyncio);
    j["greenlet"] = greenletFactsJson(s.greenlet);
    j["locks"] = nlohmann::json::array();
    for (const auto& lock : s.locks) j["locks"].push_back(lockJson(lock));
    j["children"] = childrenJson(s.children);
    j["warnings"] = s.warnings;
    return j;
}

}  // namespace pyautopsy::report
