// Frame: one Python or native frame of a thread (or of a suspended coroutine),
// with its locals when they were asked for. Plain facts; see Snapshot.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

enum class FrameKind { Python, Native };

struct Local {
    std::string name;
    std::string repr;
    std::vector<std::uint64_t> freedObjects;    // freed objects the value is or holds (0xDD-filled:
                                                // the debug allocator's freed memory); diagnosis evidence
};

struct Frame {
    FrameKind kind = FrameKind::Python;
    std::string function;                   // co_name, or the native symbol
    std::optional<std::string> qualname;    // co_qualname (3.11+)
    std::string file;                       // co_filename, or the native module's path
    std::optional<int> line;                // as frame.f_lineno reports it
    std::optional<std::uint64_t> address;   // the frame (Python) or pc (native)
    std::optional<std::uint64_t> codeAddress;
    bool entry = false;                     // first Python frame of a C-level eval call
    std::optional<std::uint64_t> shimAddress;   // entry frames, 3.12+: the eval call's shim frame,
                                                // a local on that call's C stack (for --native)
    std::optional<std::uint64_t> symbolOffset;  // native: pc - symbol start
    std::vector<Local> locals;
};

}  // namespace pyautopsy::snapshot
