#include "target/ProcessList.h"

#include "target/ProcFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <set>
#include <sstream>
#include <unistd.h>

namespace pyautopsy::target {
namespace {

std::string commandLine(int pid)
{
    std::string command = readProcFile(fmt::format("/proc/{}/cmdline", pid));
    while (!command.empty() && (command.back() == '\0' || command.back() == '\n')) command.pop_back();
    std::replace(command.begin(), command.end(), '\0', ' ');
    return command;
}

std::set<int> childPids(int pid, std::size_t bound)
{
    std::set<int> pids;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ignored)) {
        std::istringstream list(readProcFile(entry.path().string() + "/children"));
        for (int child = 0; pids.size() < bound && list >> child;) pids.insert(child);
    }
    return pids;
}

}  // namespace

std::optional<ProcessEntry> readProcessEntry(int pid)
{
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const std::string stat = readProcFile(fmt::format("/proc/{}/stat", pid));
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    ProcessEntry entry;
    entry.pid = pid;
    if (!(fields >> entry.state >> entry.ppid >> entry.pgrp)) return std::nullopt;
    // session, tty_nr and tpgid come before the flags.
    long long session = 0, tty = 0, tpgid = 0;
    if (!(fields >> session >> tty >> tpgid >> entry.flags)) entry.flags = 0;
    entry.command = commandLine(pid);
    return entry;
}

std::vector<ChildProcessInfo> listChildren(int pid, const Limits& limits)
{
    std::vector<ChildProcessInfo> children;
    for (int child : childPids(pid, limits.maxChildProcesses)) {
        auto entry = readProcessEntry(child);
        if (!entry || entry->ppid != pid) continue;
        children.push_back({child, entry->state, entry->command});
    }
    return children;
}

ProcessTreeListing listProcessTree(int root, bool includeRoot, const Limits& limits)
{
    ProcessTreeListing listing;
    auto rootEntry = readProcessEntry(root);
    if (!rootEntry) return listing;
    std::deque<ProcessEntry> pending{*rootEntry};
    // Below the root, pyautopsy itself (run from inside the tree, e.g. by a
    // test's watchdog) and its helpers are never part of the tree: a process
    // cannot trace itself, and its children are not the target's.
    std::set<int> seen{root, static_cast<int>(::getpid())};
    while (!pending.empty()) {
        ProcessEntry parent = pending.front();
        pending.pop_front();
        if (includeRoot || parent.pid != root) listing.processes.push_back(parent);
        if (parent.depth >= limits.maxTreeDepth) {
            if (!childPids(parent.pid, 1).empty()) {
                listing.truncated = true;
                listing.notes.push_back(fmt::format("process {} is {} generations below {}: its descendants are "
                                                    "not listed", parent.pid, parent.depth, root));
            }
            continue;
        }
        for (const auto& child : listChildren(parent.pid, limits)) {
            if (!seen.insert(child.pid).second) continue;   // a pid reused while we walk
            if (seen.size() > limits.maxTreeProcesses) {
                listing.truncated = true;
                listing.notes.push_back(fmt::format("more than {} processes below {}: the rest are not listed",
                                                    limits.maxTreeProcesses, root));
                return listing;
            }
            auto entry = readProcessEntry(child.pid);
            if (!entry) continue;   // exited since its parent listed it
            entry->depth = parent.depth + 1;
            pending.push_back(std::move(*entry));
        }
    }
    return listing;
}

}  // namespace pyautopsy::target
