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

}  // namespace pyautopsy::batch
