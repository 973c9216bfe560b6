// PythonVersion: which CPython a target runs, as far as we could tell.
#pragma once

#include <cstdint>
#include <string>

namespace pyautopsy::runtime {

struct PythonVersion {
    int major = 0;
    int minor = 0;
    int micro = -1;              // -1 when only major.minor is known
    std::uint32_t hex = 0;       // PY_VERSION_HEX, 0 when unknown
    bool debug = false;          // Py_DEBUG build
    bool freeThreaded = false;   // Py_GIL_DISABLED build (unsupported)

    bool atLeast(int maj, int min) const { return major > maj || (major == maj && minor >= min); }

    std::string str() const
    {
        std::string s = std::to_string(major) + "." + std::to_string(minor);
        if (micro >= 0) s += "." + std::to_string(micro);
        return s;
    }
};

}  // namespace pyautopsy::runtime
