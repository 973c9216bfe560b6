// Fuzz target: a whole core file -- ELF header, program headers and every
// note (NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_FILE, NT_AUXV) -- opened as
// CoreFileTarget, then its facts and a little of each mapping read back.
#include "FuzzSupport.h"

#include "support/Error.h"
#include "target/CoreFileTarget.h"

#include <array>

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::InputFile file({data, size});
    // No file from the host may fill the core's gaps: NT_FILE paths are input.
    target::CoreOptions options{.executable = {}, .sysroot = "/nonexistent-fuzz-sysroot"};
    try {
        auto core = target::CoreFileTarget::open(file.path(), options);
        std::size_t sink = core->process().command.size() + core->threads().size() + core->warnings().size();
        std::array<std::uint8_t, 64> buffer{};
        std::size_t visited = 0;
        for (const auto& mapping : core->mappings()) {
            if (++visited > 32) break;
            sink += core->read(mapping.start, buffer.data(), buffer.size());
            sink += core->read(mapping.end - 8, buffer.data(), buffer.size());   // across the end
        }
        (void)core->truncated();
        return sink == ~std::size_t{0};
    } catch (const Error&) {
        return 0;   // bad input, reported as one line by a front end
    }
}
