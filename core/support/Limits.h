// Limits: every walk over target memory is bounded by one of these numbers.
//
// Target memory is input: a corrupt core or a process that changes under us can
// hand us cycles, garbage pointers and absurd lengths. Each loop that follows
// target pointers or reads a target-supplied length takes its bound from here,
// and ends with a note in the snapshot when it is reached.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyautopsy {

struct Limits {
    std::size_t maxInterpreters = 256;
    std::size_t maxThreadsPerInterpreter = 4096;
    std::size_t maxFramesPerThread = 16384;   // deep recursion is real; 16k frames still prints fast
    std::size_t maxStringBytes = 4096;        // names, filenames, reprs of str
    std::size_t maxLineTableBytes = 1 << 20;  // a code object's line table
    std::size_t maxContainerItems = 4096;     // dict entries, list/tuple items walked
    std::size_t maxReprLength = 256;          // reprs of locals, truncated with a marker
    std::size_t maxReprDepth = 4;             // nested containers in a repr
    std::size_t maxNativeFrames = 1024;       // unwinding one native stack
    std::size_t maxChildProcesses = 1024;     // children of a live process listed from /proc
};

inline constexpr Limits kDefaultLimits{};

}  // namespace pyautopsy
