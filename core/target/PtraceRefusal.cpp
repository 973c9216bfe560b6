#include "target/PtraceRefusal.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <pwd.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

constexpr int kCapSysPtrace = 19;   // linux/capability.h
constexpr int kMaxAncestors = 4096; // a bound on the walk up the parents

// The value after `key` in a /proc/.../status file ("Uid:", "CapEff:", ...).
std::optional<std::string> statusField(const std::string& path, const std::string& key)
{
    std::ifstream status(path);
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(key, 0) == 0) return line.substr(key.size());
    }
    return std::nullopt;
}

std::string userName(unsigned uid)
{
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[1024];
    if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) return found->pw_name;
    return fmt::format("uid {}", uid);
}

// The ppid of `pid` from /proc/PID/stat, after the command name's last ')'.
std::optional<int> parentOf(int pid)
{
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return std::nullopt;
    return ppid;
}

const char* const kGrantCapability =
    "grant it: docker or podman run --cap-add=SYS_PTRACE, Kubernetes securityContext.capabilities.add: [\"SYS_PTRACE\"]";

}  // namespace

PtraceFacts gatherPtraceFacts(int pid, int tid)
{
    PtraceFacts facts;
    std::ifstream scope("/proc/sys/kernel/yama/ptrace_scope");
    int value = 0;
    if (scope >> value) facts.yamaScope = value;
    facts.ourUid = ::geteuid();
    if (auto uid = statusField(fmt::format("/proc/{}/status", pid), "Uid:")) {
        facts.targetUid = static_cast<unsigned>(std::strtoul(uid->c_str(), nullptr, 10));
        facts.targetUser = userName(*facts.targetUid);
    }
    if (auto caps = statusField("/proc/self/status", "CapEff:")) {
        const unsigned long long effective = std::strtoull(caps->c_str(), nullptr, 16);
        facts.hasCapSysPtrace = (effective >> kCapSysPtrace) & 1;
    }
    const int self = ::getpid();
    int at = pid;
    for (int i = 0; i < kMaxAncestors && at > 1; ++i) {
        auto parent = parentOf(at);
        if (!parent) break;
        if (*parent == self) {
            facts.isAncestor = true;
            break;
        }
        at = *parent;
    }
    if (auto tracer = statusField(fmt::format("/proc/{}/task/{}/status", pid, tid), "TracerPid:")) {
        const int tracerPid = std::atoi(tracer->c_str());
        if (tracerPid > 0) {
            std::ifstream comm(fmt::format("/proc/{}/comm", tracerPid));
            std::string name;
            std::getline(comm, name);
            facts.tracer = std::make_pair(tracerPid, name.empty() ? std::string("another process") : name);
        }
    }
    return facts;
}

std::string explainRefusal(int pid, const std::string& which, int error, const PtraceFacts& facts)
{
    const std::string head = fmt::format("cannot attach to PID {}{}", pid, which);
    if (error != EPERM && error != EACCES) return fmt::format("{}: {}", head, std::strerror(error));
    if (facts.tracer) {
        return fmt::format("{}: it is already traced by {} (pid {}); detach that debugger, or read without "
                           "stopping it: pyautopsy pid {} --nonblocking",
                           head, facts.tracer->second, facts.tracer->first, pid);
    }
    const bool otherUser = facts.targetUid && *facts.targetUid != facts.ourUid;
    if (otherUser && facts.ourUid == 0 && !facts.hasCapSysPtrace) {
        return fmt::format("{}: it belongs to {} and pyautopsy runs as root but without CAP_SYS_PTRACE (a "
                           "container, or the capability dropped); {}",
                           head, facts.targetUser, kGrantCapability);
    }
    if (otherUser && !facts.hasCapSysPtrace) {
        return fmt::format("{}: it belongs to {} and pyautopsy runs as {}; run pyautopsy as that user, or as "
                           "root: sudo pyautopsy pid {}",
                           head, facts.targetUser, userName(facts.ourUid), pid);
    }
    if (facts.yamaScope && *facts.yamaScope >= 3) {
        return fmt::format("{}: kernel.yama.ptrace_scope is {}, which forbids ptrace to everyone until the next "
                           "boot; boot without it set to 3, or read without stopping: pyautopsy pid {} --nonblocking "
                           "(needs the same user)",
                           head, *facts.yamaScope, pid);
    }
    if (facts.yamaScope == 2 && !facts.hasCapSysPtrace) {
        return fmt::format("{}: kernel.yama.ptrace_scope is 2, which lets only CAP_SYS_PTRACE attach; run as root "
                           "(sudo pyautopsy pid {}), or set it to 1 or 0: sudo sysctl kernel.yama.ptrace_scope=1",
                           head, pid);
    }
    if (facts.yamaScope == 1 && !facts.hasCapSysPtrace && !facts.isAncestor) {
        return fmt::format("{}: kernel.yama.ptrace_scope is 1, which lets a process attach only to its own "
                           "descendants; run as root (sudo pyautopsy pid {}), or set it to 0: sudo sysctl "
                           "kernel.yama.ptrace_scope=0",
                           head, pid);
    }
    if (!facts.hasCapSysPtrace) {
        return fmt::format("{}: {} although pyautopsy runs as the same user: in a container ptrace needs "
                           "CAP_SYS_PTRACE, {}; a process that made itself undumpable needs root",
                           head, std::strerror(error), kGrantCapability);
    }
    return fmt::format("{}: {} (ptrace needs the same user and /proc/sys/kernel/yama/ptrace_scope at 0 or 1, or "
                       "CAP_SYS_PTRACE)",
                       head, std::strerror(error));
}

}  // namespace pyautopsy::target
