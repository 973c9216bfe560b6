// Fuzz target: one decompressor of batch (chosen at build time by
// PYAUTOPSY_FUZZ_COMPRESSION) over a compressed core that is input.
#include "FuzzSupport.h"

#include "batch/Decompress.h"
#include "support/Error.h"

using namespace pyautopsy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The output is bounded like a core's; more is an error, not a finding. A
    // smaller bound than batch's keeps decompression bombs, which the fuzzer
    // finds at once, from costing it most of its time: the code that stops
    // them is the same. The output goes to memory (a memfd reopened by path,
    // truncated by each open), not to a file system.
    constexpr std::uint64_t kMaxBytes = 1 << 20;
    static const fuzz::InputFile sink({});
    fuzz::InputFile source({data, size});
    try {
        batch::decompressFile(source.path(), batch::Compression::PYAUTOPSY_FUZZ_COMPRESSION, sink.path(), kMaxBytes);
    } catch (const Error&) {
    }
    return 0;
}
