// ThreadingState: what the target's `threading` module knows about its
// threads -- name, daemon flag, native id -- read from memory, so cores have
// thread names too.
//
// sys.modules (interp->modules) -> 'threading' -> md_dict -> '_active'
// {ident: Thread} and '_limbo' {Thread: Thread} (started, not yet running)
// -> each Thread's _name, _daemonic and _native_id instance attributes.
// A process that never imported threading simply has no entries.
//
// Once the module is torn down (late in finalization) its dicts are empty,
// but each thread still runs threading's _bootstrap frames, whose `self` is
// its Thread object: applyBootstrapIdentity() reads the identity from there.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "runtime/threads/LocalsReader.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

struct ThreadIdentity {
    std::optional<std::string> name;
    std::optional<bool> daemon;
    std::optional<std::int64_t> nativeId;
};

struct ThreadingState {
    std::map<std::uint64_t, ThreadIdentity> byIdent;   // threading.get_ident() -> identity
    std::vector<std::string> notes;                    // why something could not be read
};

// The threads of interpreter `interp` as its threading module records them. Never throws.
ThreadingState readThreadingState(const ObjectReader& reader, std::uint64_t interp);

// Sets thread.name and thread.daemon from `state`, and thread.nativeId where
// the thread state did not give one.
void applyThreadIdentity(const ThreadingState& state, snapshot::Thread& thread);

// For a thread `threading` did not name: the identity of the Thread object
// its own bootstrap frames (Thread._bootstrap_inner / _bootstrap) run, whose
// Python frames must be walked already. Never throws.
void applyBootstrapIdentity(const ObjectReader& reader, LocalsReader& locals, snapshot::Thread& thread);

}  // namespace pyautopsy::runtime
