// Fuzz target: the text of /proc/PID/maps.
#include "target/ProcMaps.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t sink = 0;
    for (const auto& mapping : pyautopsy::target::parseProcMaps(text)) sink += mapping.path.size() + (mapping.end - mapping.start);
    return sink == ~std::size_t{0};
}
