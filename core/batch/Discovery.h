// Discovery: the core files under the paths a user gave `pyautopsy batch`.
//
// A file is a candidate when its content starts with an ELF ET_CORE header
// (whatever its name), or when its name is a core name (CoreName.h) and its
// content is compressed. A file named like a core whose content is neither is
// skipped with a reason; other files are ignored. Paths given explicitly are
// always reported (as a candidate or skipped). Directories are walked
// recursively without following symlinked directories, bounded in depth and in
// entries visited so a mistaken `batch /` ends.
#pragma once

#include "batch/BatchResult.h"
#include "batch/CoreName.h"

#include <cstddef>
#include <string>
#include <vector>

namespace pyautopsy::batch {

struct DiscoveryLimits {
    std::size_t maxDepth = 16;
    std::size_t maxEntries = 200000;   // directory entries looked at, in total
    std::size_t maxCores = 10000;
};

struct Candidate {
    std::string path;
    CoreName name;
    Compression compression = Compression::None;  // from the content, which wins over the suffix
};

struct Discovery {
    std::vector<Candidate> candidates;   // sorted by path, duplicates removed
    std::vector<SkippedFile> skipped;
    std::vector<std::string> notes;      // limits reached, unreadable directories
};

Discovery discoverCores(const std::vector<std::string>& paths, const DiscoveryLimits& limits = {});

}  // namespace pyautopsy::batch
