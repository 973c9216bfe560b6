// Locks: the threading locks a process's threads hold and wait for.
//
// threading.Lock records no owner, so holding is read from the holders'
// frames: a with-block keeps the lock's __exit__ on its frame's value stack
// while it is open. An RLock records its owner itself. The lock a thread waits
// for is the one its innermost Python frame is calling acquire() (or entering
// a with-block) on. Locks appear here only when some thread holds or waits
// for them; a lock taken with a plain acquire() has no known holder.
// importlib's per-module import locks (_ModuleLock) are locks too: they
// record their owner, and a thread importing a module that another thread is
// still importing waits for one. A thread in Thread.join() waits for a thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

struct LockName {
    std::string name;                           // "lock_a", "self._lock"
    std::string scope;                          // "global" | "local" | "attribute" | "import"
    std::string where;                          // the module (global, import), or the function's qualname
};

struct Lock {
    std::uint64_t address = 0;
    std::string type;                           // "_thread.lock", "_thread.RLock", "importlib._ModuleLock"
    std::optional<bool> locked;                 // as the lock itself records it
    std::optional<bool> hasWaiters;             // PyMutex-based locks (3.13.x+): threads are parked on it
    std::optional<std::uint64_t> ownerThreadId; // RLock, _ModuleLock: the owner's threading.get_ident(), recorded by the lock
    std::vector<LockName> names;                // what the program calls it, globals first
};

enum class LockHoldVia {
    WithBlock,          // a with-block on it is open in `frame`
    OwnerField,         // the lock (an RLock, an import lock) names this thread as its owner
};

struct LockHold {
    std::uint64_t lock = 0;
    LockHoldVia via = LockHoldVia::WithBlock;
    std::optional<std::uint64_t> frame;         // the Python frame with the open with-block
};

enum class LockWaitVia {
    Acquire,            // lock.acquire() (or a bound acquire) is being called
    WithEntry,          // entering `with lock:`
};

struct LockWait {
    std::uint64_t lock = 0;
    LockWaitVia via = LockWaitVia::Acquire;
    std::uint64_t frame = 0;                    // the innermost Python frame, which makes the call
};

// Thread.join() in progress: the thread waits for another one to finish.
struct ThreadJoin {
    std::uint64_t threadId = 0;                 // the joined thread's threading.get_ident()
    std::uint64_t frame = 0;                    // the join() frame
};

}  // namespace pyautopsy::snapshot
