// _Py_DebugOffsets (3.13+): the layout table CPython embeds at _PyRuntime+0.
//
// The table's own shape differs per minor version: tools/layoutgen reads the
// names of its words, in order, from each version's headers
// (debugOffsetFields(), LayoutTables.h); DebugOffsets.cpp says which Layout
// field each name fills. applyDebugOffsets() validates the values (sizes
// bounded, offsets inside their struct) before it lets them override the
// generated tables; any disagreement is reported in `notes`.
#pragma once

#include "runtime/layouts/Layout.h"
#include "target/Memory.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pyautopsy::runtime {

struct DebugOffsetsResult {
    bool applied = false;
    std::uint64_t version = 0;            // PY_VERSION_HEX from the table
    bool freeThreaded = false;
    std::uint64_t interpreterSize = 0;    // sizeof(PyInterpreterState), to tell debug builds
    std::vector<std::string> notes;       // validation failures and disagreements with `layout`
};

// Reads the table at `runtimeAddress` for minor version `minor` and, if it is
// valid, overwrites the matching fields of `layout`.
DebugOffsetsResult applyDebugOffsets(const target::Memory& memory, std::uint64_t runtimeAddress, int minor,
                                     Layout& layout);

}  // namespace pyautopsy::runtime
