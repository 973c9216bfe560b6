// ThreadingState: what the target's `threading` module knows about its
// threads -- name, daemon flag, native id -- read from memory, so cores have
// thread names too.
//
// sys.modules (interp->modules) -> 'threading' -> md_dict -> '_active'
// {ident: Thread} and '_limbo' {Thread: Thread} (started, not yet running)
// -> each Thread's _name, _daemonic and _native_id instance attributes.
// A process that never imported threading simply has no entries.
#pragma once

#include "runtime/objects/ObjectReader.h"
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

}  // namespace pyautopsy::runtime
