// Snapshot: what pyautopsy learned about one process, as plain typed facts.
//
// The runtime layer fills a Snapshot; diagnosis rules and reports only read it.
// No pointers into the target survive here except as numbers for evidence, and
// every fact that could not be read is an empty optional, never a placeholder.
#pragma once

#include "snapshot/AsyncioState.h"
#include "snapshot/ChildProcesses.h"
#include "snapshot/CrashFacts.h"
#include "snapshot/ForkOrigin.h"
#include "snapshot/Greenlets.h"
#include "snapshot/Frame.h"
#include "snapshot/Locks.h"
#include "snapshot/ProcessState.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

struct Signal {
    int number = 0;
    std::string name;                       // "SIGABRT"
    int code = 0;
    std::optional<std::uint64_t> address;   // fault address
    std::optional<int> senderPid;
};

struct TargetFacts {
    std::string kind;                       // "core" | "process" | debugger name
    std::optional<int> pid;
    std::optional<int> ppid;
    std::string executable;
    std::string command;
    std::string corePath;                   // cores only
    std::optional<bool> forkedWithoutExec;  // the kernel's PF_FORKNOEXEC: fork()ed, never exec'd
    std::optional<Signal> signal;
};

struct PythonFacts {
    std::string version;                    // "3.11.2"
    std::uint32_t hexVersion = 0;           // PY_VERSION_HEX, when known
    bool debug = false;
    std::uint64_t runtimeAddress = 0;       // &_PyRuntime
    std::string runtimeFoundBy;             // "symbol", ".PyRuntime section", "debug offsets cookie"
    std::string layoutSource;               // where the offsets came from
    std::vector<std::string> layoutNotes;   // e.g. _Py_DebugOffsets disagreeing with the tables
};

// Detached: the thread released the GIL (tstate->state, 3.13+) and runs Python
// frames: a blocking C call, or waiting to take the GIL back.
enum class ThreadStatus { Unknown, RunningPython, WaitingForGil, InCCall, Idle, Detached };

// tstate->state (3.13+): whether the thread may run Python now. In GIL builds
// an attached thread holds the GIL; the suspended states are stop-the-world
// pauses, shutting-down a thread hung at finalization (3.14+).
enum class AttachState { Detached, Attached, Suspended, ShuttingDown, SuspendedWaiting, DetachedWaiting };

struct Thread {
    std::optional<std::uint64_t> threadId;  // threading.get_ident()
    std::optional<std::int64_t> nativeId;   // Linux TID
    std::optional<std::string> name;        // threading.Thread.name
    std::optional<bool> daemon;
    bool main = false;
    std::optional<bool> holdsGil;
    // The GIL holder only: a thread that waited a switch interval for the GIL
    // in vain has asked it to drop the GIL (gil_drop_request, 3.13+ a bit of
    // its eval breaker), so at least one thread is waiting for it.
    std::optional<bool> gilDropRequested;
    bool crashed = false;
    // Inside a garbage collection (its interpreter's GC is collecting and this
    // is the thread that started it: runtime/threads/GarbageCollecting.h).
    bool garbageCollecting = false;
    ThreadStatus status = ThreadStatus::Unknown;  // from native frames (--native), else GIL facts
    std::optional<AttachState> attachState; // 3.13+ tstate->state
    std::int64_t interpreterId = 0;
    std::uint64_t threadStateAddress = 0;
    std::optional<std::uint64_t> stackPointer;  // rsp of the innermost frame, when registers are known
    std::optional<int> syscall;             // the system call it is blocked in (x86-64 number, orig_rax)
    std::vector<Frame> frames;              // innermost first
    ThreadHooks hooks;                      // C-level trace and profile functions
    std::vector<LockHold> locksHeld;        // see Snapshot::locks
    std::optional<LockWait> waitsFor;       // the lock its innermost Python frame is acquiring
    std::optional<ThreadJoin> joins;        // the thread it waits for in Thread.join()
    std::vector<Greenlet> greenlets;        // greenlet: the running one first, then the suspended ones
    std::vector<std::string> notes;         // why a walk stopped early, etc.
    std::vector<std::string> nativeNotes;   // the same, about the native frames (--native)
};

struct Interpreter {
    std::int64_t id = 0;
    std::uint64_t address = 0;
    bool main = false;
    InterpreterRuntimeState state;          // finalization, GC, atexit, sys.monitoring
};

struct Snapshot {
    TargetFacts target;
    PythonFacts python;
    RuntimeState runtime;                   // finalization flags, singleton refcounts
    CrashFacts crash;                       // fatal error message, freed objects in registers
    ChildProcesses children;                // child processes and the multiprocessing.Process owning each
    std::optional<ForkOrigin> forkedFrom;   // the process is a fork() child of a Python parent
    std::vector<Interpreter> interpreters;
    std::vector<Thread> threads;            // every interpreter's threads, main interpreter first
    AsyncioState asyncio;                   // event loops and their tasks
    GreenletFacts greenlet;                 // greenlet's version; greenlets no thread owns
    std::vector<Lock> locks;                // locks some thread holds or waits for
    std::vector<std::string> warnings;      // problems reading the target (build-id mismatch, ...)
    std::map<std::uint64_t, Namespace> namespaces;  // frames' globals and builtins by dict address
                                                    // (SnapshotOptions::namespaces)
};

}  // namespace pyautopsy::snapshot
