#include "batch/Grouping.h"

#include "batch/Signature.h"

#include <algorithm>
#include <map>

namespace pyautopsy::batch {

std::vector<Group> groupCores(std::vector<CoreResult>& cores)
{
    std::vector<Group> groups;
    std::map<std::string, std::size_t> byKey;
    for (std::size_t i = 0; i < cores.size(); ++i) {
        if (cores[i].report.is_null()) continue;
        const Signature signature = makeSignature(signatureInputFromReport(cores[i].report));
        cores[i].signature = signature.key;
        auto [it, inserted] = byKey.emplace(signature.key, groups.size());
        if (inserted) {
            Group group;
            group.signature = signature.key;
            group.findingId = signature.findingId;
            group.findingSummary = signature.findingSummary;
            group.signal = signature.signal;
            group.topFrames = signature.frames;
            groups.push_back(std::move(group));
        }
        groups[it->second].members.push_back(i);
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [](const Group& a, const Group& b) { return a.members.size() > b.members.size(); });
    return groups;
}

}  // namespace pyautopsy::batch
