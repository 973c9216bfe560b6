#include "runtime/SnapshotBuilder.h"

#include "runtime/code/ValueStack.h"
#include "runtime/crash/CrashFactsReader.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ObjectReader.h"
#include "runtime/repr/ObjectRepr.h"
#include "runtime/state/GcStateReader.h"
#include "runtime/state/ProcessStateReader.h"
#include "runtime/state/TraceHooks.h"
#include "runtime/stdlib/AsyncioReader.h"
#include "runtime/stdlib/ChildProcessReader.h"
#include "runtime/stdlib/ForkOriginReader.h"
#include "runtime/stdlib/GreenletReader.h"
#include "runtime/stdlib/ThreadLocks.h"
#include "runtime/stdlib/ThreadingState.h"
#include "runtime/threads/CallsInProgress.h"
#include "runtime/threads/FrameWalker.h"
#include "runtime/threads/GarbageCollecting.h"
#include "runtime/threads/LocalsReader.h"
#include "runtime/threads/Namespaces.h"
#include "runtime/threads/MixedStack.h"
#include "runtime/threads/SharedThreadStates.h"
#include "runtime/threads/ThreadStatus.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>
#include <set>
#include <unordered_set>

namespace pyautopsy::runtime {
namespace {

std::string signalName(int number)
{
    if (const char* abbrev = sigabbrev_np(number)) return std::string("SIG") + abbrev;
    return fmt::format("signal {}", number);
}

// On x86_64 glibc a pthread_t is the thread's TCB address, which is also the
// thread's fs_base; the registers therefore map idents to kernel TIDs on the
// versions whose thread states do not record the TID (<= 3.10).
std::map<std::uint64_t, std::int32_t> tidsByPthread(const target::Target& target)
{
    std::map<std::uint64_t, std::int32_t> result;
    for (const auto& thread : target.threads()) {
        if (thread.registers && thread.registers->fs_base != 0) result[thread.registers->fs_base] = thread.tid;
    }
    return result;
}

// Without registers (a live process read without stopping it), find the TID
// inside glibc's struct pthread instead: its offset is not public, so look for
// the one offset at which every thread's TCB holds one of the process's TIDs.
void addTidsFromThreadControlBlocks(const target::Memory& memory, const target::Target& target,
                                    const std::vector<std::uint64_t>& pthreads,
                                    std::map<std::uint64_t, std::int32_t>& tids)
{
    constexpr std::size_t kScan = 1024;
    std::set<std::int32_t> known;
    for (const auto& thread : target.threads()) known.insert(thread.tid);
    if (known.empty() || pthreads.empty()) return;
    std::map<std::size_t, int> votes;
    std::map<std::uint64_t, std::vector<std::int32_t>> blocks;
    for (std::uint64_t pthread : pthreads) {
        std::vector<std::int32_t> block(kScan / 4);
        if (memory.readSome(pthread, block.data(), kScan) != kScan) continue;
        for (std::size_t i = 0; i < block.size(); ++i)
            if (known.count(block[i])) ++votes[i];
        blocks[pthread] = std::move(block);
    }
    auto best = std::max_element(votes.begin(), votes.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best == votes.end() || best->second < static_cast<int>(blocks.size())) return;
    for (const auto& [pthread, block] : blocks) tids.emplace(pthread, block[best->first]);
}

// A singly linked list in the target (interpreters, thread states): its
// nodes in order, bounded by `limit` and by cycle detection; a fault while
// following it keeps the nodes read so far. Problems become warnings.
std::vector<std::uint64_t> walkList(const target::Memory& memory, std::uint64_t head, Offset next, std::size_t limit,
                                    const std::string& what, std::vector<std::string>& warnings)
{
    std::vector<std::uint64_t> nodes;
    std::unordered_set<std::uint64_t> seen;
    try {
        for (std::uint64_t node = head; node != 0; node = readPointerField(memory, node, next)) {
            if (!seen.insert(node).second) {
                warnings.push_back(fmt::format("{} loops back to {:#x}; cut there", what, node));
                break;
            }
            if (nodes.size() >= limit) {
                warnings.push_back(fmt::format("{} has more than {} entries; cut there", what, limit));
                break;
            }
            nodes.push_back(node);
        }
    } catch (const target::MemoryFault& fault) {
        warnings.push_back(fmt::format("{} is unreadable past {} entries: {}", what, nodes.size(), fault.what()));
    }
    return nodes;
}

// The tstate holding the GIL, where the version keeps it in one place.
std::optional<std::uint64_t> gilHolder(const target::Memory& memory, const Runtime& rt, std::uint64_t interp)
{
    const auto& g = rt.layout.gil;
    std::uint64_t gil = 0;
    if (rt.caps.gil == GilModel::RuntimeGil && has(rt.layout.runtime.ceval_gil)) {
        gil = fieldAddress(rt.address, rt.layout.runtime.ceval_gil);
    } else if (rt.caps.gil == GilModel::InterpreterGilPointer && has(rt.layout.interpreter.ceval_gil)) {
        gil = readPointerField(memory, interp, rt.layout.interpreter.ceval_gil);
    }
    if (gil == 0 || !has(g.locked) || !has(g.last_holder)) return std::nullopt;
    // last_holder is never cleared on release: it names the holder only while locked.
    if (readField<std::int32_t>(memory, gil, g.locked) == 0) return std::uint64_t{0};
    return readPointerField(memory, gil, g.last_holder);
}

// Whether a GIL waiter has asked the holder `tstate` to drop the GIL: the
// holder's eval-breaker bit (3.13+), else the interpreter's (3.9-3.12) or
// the runtime's (3.8) gil_drop_request. The waiter clears it once it has
// the GIL, so while the holder keeps it, a thread is still waiting.
std::optional<bool> gilDropRequested(const target::Memory& memory, const Runtime& rt, std::uint64_t interp,
                                     std::uint64_t tstate)
{
    const auto& L = rt.layout;
    if (has(L.thread.eval_breaker) && has(L.thread.eval_breaker_gil_drop_request_bit))
        return (readField<std::uint64_t>(memory, tstate, L.thread.eval_breaker) &
                static_cast<std::uint64_t>(L.thread.eval_breaker_gil_drop_request_bit)) != 0;
    if (has(L.interpreter.gil_drop_request))
        return readField<std::int32_t>(memory, interp, L.interpreter.gil_drop_request) != 0;
    if (has(L.runtime.gil_drop_request))
        return readField<std::int32_t>(memory, rt.address, L.runtime.gil_drop_request) != 0;
    return std::nullopt;
}

// tstate->state (3.13+), by the version's own _Py_THREAD_* values; nullopt
// for a value the version does not define (a torn or freed thread state).
std::optional<snapshot::AttachState> attachState(const ThreadStateLayout& L, std::int32_t value)
{
    using snapshot::AttachState;
    const std::pair<Offset, AttachState> states[] = {
        {L.state_detached, AttachState::Detached},
        {L.state_attached, AttachState::Attached},
        {L.state_suspended, AttachState::Suspended},
        {L.state_shutting_down, AttachState::ShuttingDown},
        {L.state_suspended_waiting, AttachState::SuspendedWaiting},
        {L.state_detached_waiting, AttachState::DetachedWaiting},
    };
    for (const auto& [constant, state] : states)
        if (has(constant) && constant == value) return state;
    return std::nullopt;
}

// Threads the threading module still lists but the interpreter no longer
// has a thread state for: during finalization (3.9+) the daemon threads'
// states are unlinked while their OS threads may still run or hang
// (docs/cpython-internals.md §14). Diagnoses name them; --native unwinds them when they still exist.
void addThreadsKnownOnlyToThreading(const target::Target& target, const ThreadingState& threading,
                                    std::int64_t interpreterId, std::vector<snapshot::Thread>& threads)
{
    for (const auto& [ident, identity] : threading.byIdent) {
        // A copy: capturing a structured binding needs clang 16 (the fuzz build uses 14).
        const auto knownIdent = ident;
        bool described = std::any_of(threads.begin(), threads.end(), [&](const snapshot::Thread& t) {
            return t.interpreterId == interpreterId && t.threadId == knownIdent;
        });
        if (described) continue;
        snapshot::Thread thread;
        thread.interpreterId = interpreterId;
        thread.threadId = ident;
        thread.name = identity.name;
        thread.daemon = identity.daemon;
        if (identity.nativeId) thread.nativeId = target.hostThreadId(*identity.nativeId);
        thread.notes.push_back("listed by threading._active, but the interpreter has no thread state for it "
                               "(unlinked during finalization, or exiting)");
        threads.push_back(std::move(thread));
    }
}

// The system call each thread is inside, from its registers: orig_rax holds
// its number while a thread is stopped (or dumped) in one, and -1 otherwise.
// A thread blocked on a lock, a pipe or a child sits in one for good.
void addBlockingSyscalls(const target::Target& target, snapshot::Snapshot& snap)
{
    std::map<std::int64_t, std::int64_t> syscallOf;
    for (const auto& t : target.threads())
        if (t.registers && static_cast<std::int64_t>(t.registers->orig_rax) >= 0)
            syscallOf[t.tid] = static_cast<std::int64_t>(t.registers->orig_rax);
    for (auto& thread : snap.threads) {
        if (!thread.nativeId) continue;
        auto it = syscallOf.find(*thread.nativeId);
        if (it != syscallOf.end() && it->second < 1024) thread.syscall = static_cast<int>(it->second);
    }
}

}  // namespace

snapshot::TargetFacts targetFacts(const target::Target& target)
{
    const auto& p = target.process();
    snapshot::TargetFacts facts;
    facts.kind = std::string(target.kind());
    facts.pid = p.pid;
    facts.ppid = p.ppid;
    facts.executable = p.executable;
    facts.command = p.command;
    facts.forkedWithoutExec = p.forkedWithoutExec;
    if (p.signal) {
        snapshot::Signal s;
        s.number = p.signal->number;
        s.name = signalName(p.signal->number);
        s.code = p.signal->code;
        s.address = p.signal->faultAddress;
        s.senderPid = p.signal->senderPid;
        facts.signal = s;
    }
    return facts;
}

snapshot::Snapshot buildSnapshot(const target::Memory& memory, const target::ModuleIndex& modules,
                                 const Runtime& rt, const SnapshotOptions& options)
{
    const auto& target = memory.target();
    const auto& L = rt.layout;
    snapshot::Snapshot snap;
    snap.target = targetFacts(target);
    snap.python.version = rt.version.str();
    snap.python.hexVersion = rt.version.hex;
    snap.python.debug = rt.version.debug;
    snap.python.runtimeAddress = rt.address;
    snap.python.runtimeFoundBy = rt.foundBy;
    snap.python.layoutSource = rt.layoutSource;
    snap.python.layoutNotes = rt.notes;
    snap.warnings = modules.warnings();

    ObjectReader reader(memory, rt, options.limits);
    FrameWalker walker(reader);
    ObjectRepr reprs(reader);
    LocalsReader locals(reader, reprs);
    ValueStackReader stacks(reader);
    auto tids = tidsByPthread(target);
    bool scanThreadControlBlocks = !has(L.thread.native_thread_id) && tids.empty();
    // A core taken by a debugger (gcore) records the stop signal: nothing crashed.
    const auto& signal = target.process().signal;
    const bool stoppedNotKilled = signal && (signal->number == SIGSTOP || signal->number == SIGTSTP ||
                                             signal->number == SIGTRAP);
    const std::int32_t crashedTid = stoppedNotKilled ? 0 : target.process().crashedTid.value_or(0);

    std::optional<std::uint64_t> mainIdent;
    if (has(L.runtime.main_thread)) {
        std::uint64_t ident = 0;
        if (memory.readSome(fieldAddress(rt.address, L.runtime.main_thread), &ident, sizeof ident) == sizeof ident)
            mainIdent = ident;
    }

    std::vector<std::uint64_t> interps;
    try {
        interps = walkList(memory, readPointerField(memory, rt.address, L.runtime.interpreters_head), L.interpreter.next,
                           options.limits.maxInterpreters, "the interpreter list", snap.warnings);
    } catch (const target::MemoryFault& fault) {
        snap.warnings.push_back(fmt::format("the interpreter list is unreadable: {}", fault.what()));
    }
    std::reverse(interps.begin(), interps.end());   // newest first in memory; main first for people
    std::optional<std::uint64_t> mainInterpreter;
    if (has(L.runtime.interpreters_main)) {
        std::uint64_t main = 0;
        if (memory.readSome(fieldAddress(rt.address, L.runtime.interpreters_main), &main, sizeof main) == sizeof main)
            mainInterpreter = main;
    }
    snap.runtime = readProcessRuntimeState(reader);
    std::optional<std::pair<std::uint64_t, ThreadingState>> mainThreading;   // for the fork origin

    for (std::uint64_t interp : interps) {
        snapshot::Interpreter info;
        info.address = interp;
        try {
            info.id = readField<std::int64_t>(memory, interp, L.interpreter.id);
            info.main = info.id == 0;
        } catch (const target::MemoryFault& fault) {
            // Without its id, only the runtime's own pointer can make it the main one.
            info.main = mainInterpreter && *mainInterpreter == interp;
            info.id = info.main ? 0 : -1;
            snap.warnings.push_back(fmt::format("interpreter at {:#x}: id unreadable ({}); shown as {}", interp,
                                                fault.what(), info.main ? "the main interpreter (_PyRuntime says so)"
                                                                        : "interpreter -1"));
        }
        info.state = readInterpreterRuntimeState(reader, walker, interp, info.main, snap.runtime);
        snap.interpreters.push_back(info);

        std::optional<std::uint64_t> holder;
        try {
            holder = gilHolder(memory, rt, interp);
        } catch (const target::MemoryFault& fault) {
            snap.warnings.push_back(fmt::format("interpreter {}: which thread holds the GIL is unknown: {}", info.id,
                                                fault.what()));
        }

        std::vector<std::uint64_t> tstates;
        try {
            tstates = walkList(memory, readPointerField(memory, interp, L.interpreter.threads_head), L.thread.next,
                               options.limits.maxThreadsPerInterpreter,
                               fmt::format("the thread list of interpreter {}", info.id), snap.warnings);
        } catch (const target::MemoryFault& fault) {
            snap.warnings.push_back(fmt::format("the thread list of interpreter {} is unreadable: {}", info.id,
                                                fault.what()));
        }
        std::reverse(tstates.begin(), tstates.end());

        if (scanThreadControlBlocks) {
            std::vector<std::uint64_t> pthreads;
            for (std::uint64_t ts : tstates) {
                std::uint64_t ident = 0;
                if (memory.readSome(fieldAddress(ts, L.thread.thread_id), &ident, sizeof ident) == sizeof ident)
                    pthreads.push_back(ident);
            }
            addTidsFromThreadControlBlocks(memory, target, pthreads, tids);
        }

        ThreadingState threading = readThreadingState(reader, interp);
        snap.warnings.insert(snap.warnings.end(), threading.notes.begin(), threading.notes.end());
        for (std::uint64_t ts : tstates) {
            snapshot::Thread thread;
            thread.interpreterId = info.id;
            thread.threadStateAddress = ts;
            bool hostNativeId = false;  // from the target's own thread list, not from its memory
            try {
                thread.threadId = readField<std::uint64_t>(memory, ts, L.thread.thread_id);
                if (has(L.thread.native_thread_id)) {
                    thread.nativeId = readField<std::int64_t>(memory, ts, L.thread.native_thread_id);
                } else if (auto it = tids.find(*thread.threadId); it != tids.end()) {
                    thread.nativeId = it->second;
                    hostNativeId = true;
                }
                if (has(L.thread.state)) {
                    const auto value = readField<std::int32_t>(memory, ts, L.thread.state);
                    thread.attachState = attachState(L.thread, value);
                    if (!thread.attachState)
                        thread.notes.push_back(fmt::format("tstate->state is {}, not a state this version defines",
                                                           value));
                }
                if (rt.caps.gil == GilModel::ThreadHoldsGil && has(L.thread.holds_gil)) {
                    thread.holdsGil = readField<std::int32_t>(memory, ts, L.thread.holds_gil) != 0;
                } else if (holder) {
                    thread.holdsGil = *holder == ts;
                }
                if (thread.holdsGil.value_or(false)) thread.gilDropRequested = gilDropRequested(memory, rt, interp, ts);
            } catch (const target::MemoryFault& fault) {
                thread.notes.push_back(fmt::format("thread state {:#x} unreadable: {}", ts, fault.what()));
            }
            thread.main = info.main && mainIdent && thread.threadId == mainIdent;
            thread.crashed = crashedTid != 0 && thread.nativeId == crashedTid;
            thread.hooks = readThreadHooks(reader, modules, ts);
            FrameWalk walk = walker.walkThread(ts);
            thread.frames = std::move(walk.frames);
            thread.notes.insert(thread.notes.end(), walk.notes.begin(), walk.notes.end());
            addCallsInProgress(reader, stacks, reprs, thread);
            applyThreadIdentity(threading, thread);
            applyBootstrapIdentity(reader, locals, thread);
            // Ids read from the target's memory are its pid namespace's; report the host's.
            if (thread.nativeId && !hostNativeId) thread.nativeId = target.hostThreadId(*thread.nativeId);
            if (options.locals || (options.crashedThreadLocals && thread.crashed)) locals.addTo(thread);
            if (options.namespaces) addNamespaces(reader, reprs, thread, snap.namespaces);
            snap.threads.push_back(std::move(thread));
        }
        addThreadsKnownOnlyToThreading(target, threading, info.id, snap.threads);
        if (info.main) mainThreading = {interp, std::move(threading)};
        readAsyncio(reader, walker, interp, info.id, tstates, snap.asyncio);
    }
    if (mainThreading) {
        // greenlet supports the main interpreter only.
        const std::uint64_t interp = mainThreading->first;
        readGreenlets(reader, walker, locals, options.locals, interp,
                      gcStateAddress(rt, interp, true).value_or(0), snap);
    }
    // Before native frames: the lock a thread waits for is its innermost Python frame's call.
    addThreadLocks(reader, locals, reprs, snap);
    markGarbageCollection(snap);
    attributeSharedThreadStates(memory, snap, crashedTid);
    addBlockingSyscalls(target, snap);
    for (auto& thread : snap.threads) thread.status = statusFromRuntime(thread);
    addSingletonRefcounts(reader, modules, interps.empty() ? 0 : interps.front(), snap.threads, snap.runtime);
    snap.children = readChildProcesses(reader, target, interps);
    if (mainThreading)
        snap.forkedFrom = readForkOrigin(reader, mainThreading->first, mainThreading->second, snap, snap.warnings);
    if (options.native || options.crashedThreadNative) {
        // Last, so that the native frames interleave with finished Python frames.
        MixedStackBuilder mixed(memory.target(), modules, rt.caps, options.limits);
        for (auto& thread : snap.threads)
            if (options.native || thread.crashed) mixed.addNativeFrames(thread);
        if (options.native) mixed.addThreadsWithoutPython(snap, crashedTid);
    }
    // The main thread first, the others in the order they started.
    std::stable_partition(snap.threads.begin(), snap.threads.end(), [](const auto& t) { return t.main; });
    readCrashFacts(reader, modules, snap);  // last: the fatal-error message needs the native frames
    return snap;
}

}  // namespace pyautopsy::runtime
