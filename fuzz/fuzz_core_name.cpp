// Fuzz target: what batch discovery reads from a file before opening it as
// a core: its name (core.PID, NAME.PID.core, systemd-coredump's, a
// compression suffix) and its first bytes (the compression magic).
#include "batch/CoreName.h"
#include "batch/Decompress.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace pyautopsy::batch;
    const std::string_view name(reinterpret_cast<const char*>(data), size);
    const CoreName parsed = parseCoreName(name);
    std::size_t sink = parsed.command.size() + static_cast<std::size_t>(parsed.pid.value_or(0));
    sink += static_cast<std::size_t>(sniffCompression({data, size}));
    return sink == ~std::size_t{0};
}
