// SnapshotQueries: the questions several rules ask of a snapshot -- how the
// process ended, which thread crashed, which native functions a thread is in
// -- answered once, so that rules stay small and agree with each other.
#pragma once

#include "diagnosis/Finding.h"
#include "snapshot/Ending.h"
#include "snapshot/Snapshot.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace pyautopsy::diagnosis {

// How the target ended, from the core's signal (live processes: Running).
using snapshot::Ending;
inline Ending ending(const snapshot::Snapshot& snapshot) { return snapshot::endingOf(snapshot.target); }

bool isSignal(const snapshot::Snapshot& snapshot, std::initializer_list<std::string_view> names);

// The thread that received the fatal signal, if known.
const snapshot::Thread* crashedThread(const snapshot::Snapshot& snapshot);
const snapshot::Thread* mainThread(const snapshot::Snapshot& snapshot);

bool hasNativeFrames(const snapshot::Thread& thread);
bool hasNativeFrames(const snapshot::Snapshot& snapshot);

using snapshot::baseSymbol;
using snapshot::NativeRole;

// Index in thread.frames of the innermost native frame playing one of `roles`.
std::optional<std::size_t> findNative(const snapshot::Thread& thread, std::initializer_list<NativeRole> roles);
// Index of the innermost Python frame.
std::optional<std::size_t> innermostPython(const snapshot::Thread& thread);

// "function (file:line)" for Python frames, "symbol (module)" for native ones.
std::string frameText(const snapshot::Frame& frame);
// `"name" (native 1234)`, or the ident when the thread has no name.
std::string threadLabel(const snapshot::Thread& thread);
// `"name"` alone, or threadLabel() when the thread has no name: for lists.
std::string threadShortName(const snapshot::Thread& thread);
// The thread as a noun after `qualifier`, without an article, so that it
// reads the same named or not: `daemon thread "spinner" (native 12)`,
// `crashing main thread (native 10)`, `thread 0x7f... (native 12)`.
std::string threadNoun(const snapshot::Thread& thread, std::string_view qualifier = {});

// The main thread finished the program and waits in threading._shutdown()
// (called by Py_FinalizeEx) for the non-daemon threads to end.
bool inThreadingShutdown(const snapshot::Thread& thread);

// What a thread is blocked in, when the snapshot proves it blocked: a lock
// wait (native frames or the lock its frame acquires) or a system call that
// sleeps ("the system call read"); nullopt for a thread that may be running.
std::optional<std::string> blockedIn(const snapshot::Snapshot& snapshot, const snapshot::Thread& thread);

// "f (file:line), called from g (file:line), ..." for the innermost `count` Python frames.
std::string pythonStackText(const snapshot::Thread& thread, std::size_t count);

// Evidence about a thread, with its ids filled in.
Evidence threadEvidence(const snapshot::Thread& thread, std::string kind, std::string text);
Evidence frameEvidence(const snapshot::Thread& thread, const snapshot::Frame& frame, std::string text);
Evidence signalEvidence(const snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::diagnosis
