#include "target/BlockingFacts.h"

#include "target/ProcFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>

namespace pyautopsy::target {
namespace {

std::vector<int> numericEntries(const std::string& directory, std::size_t bound)
{
    std::vector<int> out;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) return out;
    while (dirent* entry = ::readdir(dir)) {
        if (out.size() >= bound) break;
        char* end = nullptr;
        const long n = std::strtol(entry->d_name, &end, 10);
        if (end != entry->d_name && *end == '\0' && n >= 0) out.push_back(static_cast<int>(n));
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end());
    return out;
}

// "running", or "NR ARG1 ... ARG6 SP PC" (hex args), or "-1 SP PC" when the
// thread is blocked outside a system call (a page fault).
std::optional<ThreadSyscall> parseSyscall(int tid, const std::string& text)
{
    if (text.empty()) return std::nullopt;
    ThreadSyscall out;
    out.tid = tid;
    if (text.rfind("running", 0) == 0) {
        out.running = true;
        return out;
    }
    std::istringstream fields(text);
    long number = 0;
    if (!(fields >> number)) return std::nullopt;
    if (number < 0) return out;
    out.number = number;
    for (auto& arg : out.args) {
        std::string word;
        if (!(fields >> word)) break;
        arg = std::strtoull(word.c_str(), nullptr, 16);
    }
    return out;
}

}  // namespace

BlockingFacts readBlockingFacts(int pid, const Limits& limits)
{
    BlockingFacts facts;
    const std::string proc = fmt::format("/proc/{}", pid);
    for (int tid : numericEntries(proc + "/task", limits.maxThreadsPerInterpreter)) {
        if (auto call = parseSyscall(tid, readProcFile(fmt::format("{}/task/{}/syscall", proc, tid))))
            facts.threads.push_back(*call);
    }
    for (int fd : numericEntries(proc + "/fd", limits.maxFileDescriptors)) {
        char link[64] = {};
        const ssize_t n = ::readlink(fmt::format("{}/fd/{}", proc, fd).c_str(), link, sizeof link - 1);
        unsigned long long inode = 0;
        if (n <= 0 || std::sscanf(link, "pipe:[%llu]", &inode) != 1) continue;
        // fdinfo "flags:" is octal; the access mode is its low two bits.
        std::istringstream info(readProcFile(fmt::format("{}/fdinfo/{}", proc, fd)));
        std::string key, value;
        unsigned long flags = O_RDONLY;
        while (info >> key >> value) {
            if (key == "flags:") {
                flags = std::strtoul(value.c_str(), nullptr, 8);
                break;
            }
        }
        const unsigned long mode = flags & O_ACCMODE;
        facts.pipes.push_back({fd, inode, mode == O_RDONLY || mode == O_RDWR, mode == O_WRONLY || mode == O_RDWR});
    }
    return facts;
}

const PipeEnd* pipeOfFd(const BlockingFacts& facts, int fd)
{
    for (const auto& pipe : facts.pipes)
        if (pipe.fd == fd) return &pipe;
    return nullptr;
}

}  // namespace pyautopsy::target
