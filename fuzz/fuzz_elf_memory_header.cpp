// Fuzz target: a module's ELF header, program headers and build-id note as
// target memory holds them (MemoryElfHeader), the first page being input.
#include "FuzzSupport.h"

#include "target/MemoryElfHeader.h"

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    constexpr std::uint64_t kBase = 0x400000;
    fuzz::MemoryImageTarget memory;
    memory.addBlock(kBase, {data, data + size});
    auto header = target::readMemoryElfHeader(memory, kBase);
    return header && header->buildId && header->buildId->empty();
}
