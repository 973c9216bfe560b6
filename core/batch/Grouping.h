// Grouping: cores with equal signatures (Signature.h) become one Group.
//
// Fills CoreResult::signature for every analysed core and returns the groups,
// largest first (ties: the group whose first member was discovered first), so
// the report leads with the crash that happened most.
#pragma once

#include "batch/BatchResult.h"

#include <vector>

namespace pyautopsy::batch {

std::vector<Group> groupCores(std::vector<CoreResult>& cores);

// The same over any reports (`pyautopsy core|pid --json` documents); null
// pointers and null documents are left out. keys[i] receives report i's key.
std::vector<Group> groupReports(const std::vector<const nlohmann::json*>& reports, std::vector<std::string>& keys);

}  // namespace pyautopsy::batch
