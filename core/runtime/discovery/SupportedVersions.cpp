#include "runtime/discovery/SupportedVersions.h"

#include <fmt/format.h>

namespace pyautopsy::runtime {

const SupportedVersion* findSupportedVersion(int major, int minor)
{
    for (const SupportedVersion& version : supportedVersions()) {
        if (version.major == major && version.minor == minor) return &version;
    }
    return nullptr;
}

std::string supportedRange()
{
    auto all = supportedVersions();
    return fmt::format("{}.{} to {}.{}", all.front().major, all.front().minor, all.back().major, all.back().minor);
}

}  // namespace pyautopsy::runtime
