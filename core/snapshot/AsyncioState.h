// AsyncioState: the event loops of a process and their tasks -- what each task
// is suspended in and what it waits for -- as plain facts.
//
// Filled by core/runtime/stdlib/AsyncioReader; empty when the target never imported
// asyncio. A fact that could not be read is left empty and noted.
#pragma once

#include "snapshot/Frame.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

struct AsyncTask {
    std::uint64_t address = 0;
    std::string name;                       // Task.get_name()
    std::string state;                      // "pending" | "cancelled" | "finished"
    bool running = false;                   // the loop's current task: its frames are on the thread's stack
    std::vector<Frame> coroutineStack;      // innermost first: the coroutine chain the task is suspended in
    std::vector<std::uint64_t> awaits;      // tasks it waits for, directly or as the children of a gather()
    std::optional<std::string> waitsFor;    // the type of what the innermost await holds ("Future", ...)
    std::optional<std::uint64_t> waitsForAddress;
};

struct EventLoop {
    std::uint64_t address = 0;
    std::string type;                       // e.g. "_UnixSelectorEventLoop"
    std::int64_t interpreterId = 0;
    std::optional<std::uint64_t> threadId;  // threading.get_ident() of the thread running it
    std::string threadFrom;                 // how the thread was found
    std::vector<AsyncTask> tasks;           // in the order they were found
};

struct AsyncioState {
    std::vector<EventLoop> loops;
    std::vector<std::string> notes;
};

}  // namespace pyautopsy::snapshot
