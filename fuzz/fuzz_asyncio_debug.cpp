// Fuzz target: the _AsyncioDebug table (3.14+), read from a section of a
// module of the target, then applied over a layout.
#include "runtime/layouts/AsyncioDebugOffsets.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace pyautopsy::runtime;
    auto offsets = parseAsyncioDebugOffsets(std::span<const std::uint8_t>(data, size));
    if (!offsets) return 0;
    AsyncioLayout layout;
    layout.task_coro = 120;
    std::vector<std::string> notes;
    applyAsyncioDebugOffsets(*offsets, layout, notes);
    return 0;
}
