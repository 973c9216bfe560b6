// Fuzz target: one decompressor of batch (chosen at build time by
// PYAUTOPSY_FUZZ_COMPRESSION) over a compressed core that is input.
#include "FuzzSupport.h"

#include "batch/Decompress.h"
#include "support/Error.h"

#include <unistd.h>

#include <cstdio>
#include <string>

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The output is bounded like a core's: more than this is an error, not a finding.
    constexpr std::uint64_t kMaxBytes = 8 << 20;
    static const std::string destination = "/tmp/pyautopsy-fuzz-decompress-" + std::to_string(::getpid());
    fuzz::InputFile source({data, size});
    try {
        batch::decompressFile(source.path(), batch::Compression::PYAUTOPSY_FUZZ_COMPRESSION, destination, kMaxBytes);
    } catch (const Error&) {
    }
    std::remove(destination.c_str());
    return 0;
}
