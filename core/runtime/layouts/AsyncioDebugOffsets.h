// _AsyncioDebug (3.14+): the offsets asyncio's C module publishes for
// readers outside the process, in a section of its own, `.AsyncioDebug`, of
// whichever module holds _asyncio (its extension module, or the interpreter
// when it is built in, as Debian's 3.15 does).
//
// The table is 13 8-byte words: the C Task's size and the offsets of its
// name, awaited-by set and flags, coroutine and list node; the size of
// PyInterpreterState and its task list head; the size of _PyThreadStateImpl
// and its running loop, running task and task list head. Where it is found
// and valid, it wins over the generated tables (whose Task offsets come from
// a mirror of a struct CPython keeps in a .c file); disagreements are noted.
#pragma once

#include "runtime/layouts/Layout.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

struct AsyncioDebugOffsets {
    std::uint64_t taskSize = 0;
    std::uint64_t taskName = 0;
    std::uint64_t taskCoro = 0;
    std::uint64_t taskNode = 0;
    std::uint64_t interpreterSize = 0;
    std::uint64_t interpreterTasksHead = 0;
    std::uint64_t threadSize = 0;
    std::uint64_t threadRunningLoop = 0;
    std::uint64_t threadRunningTask = 0;
    std::uint64_t threadTasksHead = 0;
};

inline constexpr std::size_t kAsyncioDebugBytes = 13 * 8;

// The table in `bytes` (the section's contents); nullopt when it is short or
// an offset lies outside its struct.
std::optional<AsyncioDebugOffsets> parseAsyncioDebugOffsets(std::span<const std::uint8_t> bytes);

// Overwrites the asyncio fields of `layout`, noting each that differed.
void applyAsyncioDebugOffsets(const AsyncioDebugOffsets& offsets, AsyncioLayout& layout,
                              std::vector<std::string>& notes);

}  // namespace pyautopsy::runtime
