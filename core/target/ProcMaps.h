// ProcMaps: parses the text of /proc/PID/maps into Mappings.
//
// Pure, so it is tested on a few lines of text. Paths keep the kernel's
// spelling, including a trailing " (deleted)"; malformed lines are skipped.
#pragma once

#include "target/ProcessFacts.h"

#include <string_view>
#include <vector>

namespace pyautopsy::target {

std::vector<Mapping> parseProcMaps(std::string_view text);

}  // namespace pyautopsy::target
