// The layout tables compiled from CPython's own headers.
//
// tools/layoutgen writes them (never by hand): for each interpreter build of
// the test bed it compiles offsetof() probes against that build's headers
// (Include/internal, with Py_BUILD_CORE and, for debug builds, Py_DEBUG) and
// stamps the entry with where the numbers came from. Each version's tables are
// in generated/CPython3_N.h; GeneratedTables.cpp joins them, oldest first.
#pragma once

#include "runtime/layouts/Layout.h"

#include <span>

namespace pyautopsy::runtime {

struct LayoutTableEntry {
    int major = 0, minor = 0, micro = 0;
    bool debug = false;
    const char* source = "";      // the headers the numbers were compiled from
    Layout layout;
};

std::span<const LayoutTableEntry> generatedLayoutTables();

// The names of _Py_DebugOffsets' 8-byte words after cookie, version and
// free_threaded, in order ("<sub-struct>.<member>"), as tools/layoutgen read
// them from that version's headers; empty for a version without the struct.
std::span<const char* const> debugOffsetFields(int minor);

// The table for a build: the same minor version and build kind, with the
// closest patch release at or below `micro` (else the closest above).
// `exact` tells whether the patch release matched. nullptr if the minor
// version has no table at all.
const LayoutTableEntry* selectLayoutTable(int major, int minor, int micro, bool debug, bool* exact);

}  // namespace pyautopsy::runtime
