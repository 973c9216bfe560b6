// SupportedVersions: the CPython versions pyautopsy reads.
//
// The one list is core/runtime/versions.json; tools/layoutgen compiles it into
// GeneratedVersions.cpp (`layoutgen.py --check` fails while that is stale), so
// a version is added or dropped there, never in code. Behaviour that differs
// between versions is Capabilities' business, offsets are the layouts'.
#pragma once

#include <span>
#include <string>

namespace pyautopsy::runtime {

struct SupportedVersion {
    int major = 0;
    int minor = 0;
    bool debugOffsets = false;   // _PyRuntime starts with _Py_DebugOffsets
};

// Every supported version, oldest first, without gaps.
std::span<const SupportedVersion> supportedVersions();

// The registry's entry for major.minor; nullptr if pyautopsy does not read it.
const SupportedVersion* findSupportedVersion(int major, int minor);

// The supported range for messages: "3.8 to 3.15".
std::string supportedRange();

}  // namespace pyautopsy::runtime
