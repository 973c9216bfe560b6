// LockQueries: the lock facts of a snapshot (snapshot/Locks.h) in the words
// findings and reports use -- what a lock is called, who holds it and how --
// so that every place names a lock the same way.
#pragma once

#include "snapshot/Snapshot.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pyautopsy::diagnosis {

const snapshot::Lock* findLock(const snapshot::Snapshot& snapshot, std::uint64_t lock);

// What the program calls the lock: "lock_a", "self._lock", else "a _thread.lock".
std::string lockName(const snapshot::Snapshot& snapshot, std::uint64_t lock);
// The name with its type, address and scope: "lock_a (_thread.lock at 0x7f...)",
// "lock (_thread.lock at 0x7f..., a local of watch)", "self._lock (... , in Holder.run)".
std::string lockText(const snapshot::Snapshot& snapshot, std::uint64_t lock);

struct LockHolder {
    const snapshot::Thread* thread = nullptr;
    const snapshot::LockHold* hold = nullptr;
};
std::vector<LockHolder> lockHolders(const snapshot::Snapshot& snapshot, std::uint64_t lock);

// How `thread` holds it: "in a with-block of f (file:line)" (the frame's
// current line), "importing the module, for f (file:line)" (importlib's own
// with-block, named by the frame whose import runs it), or "the lock records
// it as its owner".
std::string holdText(const snapshot::Thread& thread, const snapshot::LockHold& hold);

// The Python frame of `thread` at `address`, if it has one.
const snapshot::Frame* frameAt(const snapshot::Thread& thread, std::uint64_t address);

}  // namespace pyautopsy::diagnosis
