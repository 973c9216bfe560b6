#include "batch/ProcessTree.h"

#include <filesystem>
#include <map>

namespace pyautopsy::batch {
namespace {

std::string directoryOf(const std::string& path)
{
    return std::filesystem::path(path).parent_path().string();
}

}  // namespace

std::vector<TreeNode> buildProcessTree(const std::vector<CoreResult>& cores)
{
    std::multimap<int, std::size_t> byPid;
    for (std::size_t i = 0; i < cores.size(); ++i)
        if (cores[i].pid) byPid.emplace(*cores[i].pid, i);

    std::vector<TreeNode> nodes;
    std::map<std::size_t, std::size_t> nodeOfCore;
    for (std::size_t i = 0; i < cores.size(); ++i) {
        if (!cores[i].pid) continue;
        nodeOfCore[i] = nodes.size();
        TreeNode node;
        node.core = i;
        nodes.push_back(std::move(node));
    }
    // The core with `pid`, preferring one in `near`'s directory; none when ambiguous.
    auto find = [&](int pid, const std::string& near) -> std::optional<std::size_t> {
        auto [first, last] = byPid.equal_range(pid);
        std::optional<std::size_t> found;
        std::size_t claimants = 0;
        for (auto it = first; it != last; ++it) {
            ++claimants;
            if (!found && directoryOf(cores[it->second].path) == near) found = it->second;
        }
        if (!found && claimants == 1) found = first->second;
        return found;
    };
    for (auto& node : nodes) {
        const CoreResult& core = cores[node.core];
        const std::string near = directoryOf(core.path);
        if (core.ppid && *core.ppid != *core.pid) node.parent = find(*core.ppid, near);
        if (!node.parent && core.pgrp && *core.pgrp != *core.pid) {
            node.parent = find(*core.pgrp, near);
            node.parentFromProcessGroup = node.parent.has_value();
        }
    }
    for (const auto& node : nodes)
        if (node.parent) nodes[nodeOfCore[*node.parent]].children.push_back(node.core);
    return nodes;
}

}  // namespace pyautopsy::batch
