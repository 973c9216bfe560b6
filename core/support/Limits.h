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
    std::size_t maxBytecodeBytes = 1 << 20;   // a code object's bytecode, walked for its stack depths
    std::size_t maxContainerItems = 4096;     // dict entries, list/tuple items walked
    std::size_t maxReprLength = 256;          // characters of a repr of a local, the "..." marker included
    std::size_t maxReprDepth = 4;             // nested containers in a repr
    std::size_t maxNativeFrames = 1024;       // unwinding one native stack
    std::size_t maxChildProcesses = 1024;     // children of a live process listed from /proc
    std::size_t maxTreeProcesses = 4096;      // processes of a live tree (pid --tree, run --hang-timeout)
    std::size_t maxTreeDepth = 64;            // generations below a tree's root
    std::size_t maxFileDescriptors = 65536;   // a process's /proc/PID/fd entries looked at
    std::size_t maxTypeChain = 64;            // tp_base hops from a type to a builtin base
    std::size_t maxCallableUnwrap = 4;        // partial(method(...)) layers looked through
    std::size_t maxReprIntDigits = 2048;      // 30-bit digits of an int repr'd (~18,000 decimal digits)
    std::size_t maxAsyncioTasks = 100000;     // tasks of one interpreter: more than any real loop keeps
    std::size_t maxGcObjects = 4000000;       // tracked objects looked at when searching the GC lists (greenlets)
    std::size_t maxGreenlets = 100000;        // greenlets reported per process
    std::size_t maxAwaitDepth = 256;          // coroutines awaiting coroutines
    std::size_t maxFreedScanStackBytes = 16384;   // innermost stack searched for containers of freed items
    std::size_t maxFreedScanContainers = 512;     // containers opened by that search
    std::size_t maxFreedScanDepth = 2;            // candidate -> container -> container
    std::size_t maxFreedFindings = 8;             // freed items reported from it
    std::size_t maxEmptyTupleProbes = 256;    // code objects asked for their empty tuple (3.8/3.9)
};

inline constexpr Limits kDefaultLimits{};

}  // namespace pyautopsy
