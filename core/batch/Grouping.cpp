#include "batch/Grouping.h"

#include "batch/Signature.h"

#include <algorithm>
#include <map>

namespace pyautopsy::batch {

std::vector<Group> groupReports(const std::vector<const nlohmann::json*>& reports, std::vector<std::string>& keys)
{
    std::vector<Group> groups;
    std::map<std::string, std::size_t> byKey;
    keys.assign(reports.size(), std::string());
    for (std::size_t i = 0; i < reports.size(); ++i) {
        if (reports[i] == nullptr || reports[i]->is_null()) continue;
        const Signature signature = makeSignature(signatureInputFromReport(*reports[i]));
        keys[i] = signature.key;
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

std::vector<Group> groupCores(std::vector<CoreResult>& cores)
{
    std::vector<const nlohmann::json*> reports;
    for (const auto& core : cores) reports.push_back(&core.report);
    std::vector<std::string> keys;
    auto groups = groupReports(reports, keys);
    for (std::size_t i = 0; i < cores.size(); ++i) cores[i].signature = keys[i];
    return groups;
}

}  // namespace pyautopsy::batch
