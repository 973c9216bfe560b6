#include "target/LiveProcessTarget.h"

#include "support/Error.h"
#include "support/Limits.h"
#include "target/ProcFile.h"
#include "target/ProcMaps.h"
#include "target/ProcessList.h"
#include "target/ProcessMemory.h"
#include "target/ProcessStopper.h"
#include "target/PtraceRefusal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace pyautopsy::target {

namespace {

// For a process in another pid namespace: each thread's id there -> its id
// here, from the NSpid lines ("NSpid: HOST ... INNERMOST") of its tasks.
std::map<std::int64_t, std::int64_t> threadIdsByNamespaceId(int pid)
{
    std::map<std::int64_t, std::int64_t> ids;
    std::error_code error;
    std::filesystem::directory_iterator tasks(fmt::format("/proc/{}/task", pid), error);
    std::size_t seen = 0;
    for (; !error && tasks != std::filesystem::directory_iterator() && seen < kDefaultLimits.maxThreadsPerInterpreter;
         tasks.increment(error), ++seen) {
        std::ifstream status(tasks->path() / "status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("NSpid:", 0) != 0) continue;
            std::istringstream fields(line.substr(6));
            std::vector<std::int64_t> nsIds;
            std::int64_t id = 0;
            while (fields >> id) nsIds.push_back(id);
            if (nsIds.size() > 1) ids[nsIds.back()] = nsIds.front();
            break;
        }
    }
    return ids;
}

// Whether `pid` is in another mount namespace than pyautopsy (the links name
// the namespaces: mnt:[INODE]). Unknown counts as the same.
bool inOtherMountNamespace(int pid)
{
    std::error_code ignored;
    const auto ours = std::filesystem::read_symlink("/proc/self/ns/mnt", ignored);
    const auto theirs = std::filesystem::read_symlink(fmt::format("/proc/{}/ns/mnt", pid), ignored);
    return !ours.empty() && !theirs.empty() && ours != theirs;
}

std::string trimNewline(std::string text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
    return text;
}

// /proc/PID/task/TID/syscall: "running", or "NR ARGS... SP PC" in a system
// call, or "-1 SP PC" blocked elsewhere in the kernel: SP is next to last.
std::optional<std::uint64_t> blockedStackPointer(const std::string& text)
{
    std::istringstream fields(text);
    std::vector<std::string> words;
    for (std::string word; fields >> word && words.size() < 16;) words.push_back(word);
    if (words.size() < 3 || words.front() == "running") return std::nullopt;
    const std::string& sp = words[words.size() - 2];
    char* end = nullptr;
    const std::uint64_t value = std::strtoull(sp.c_str(), &end, 16);
    if (end == sp.c_str() || *end != '\0' || value == 0) return std::nullopt;
    return value;
}

}  // namespace

struct LiveProcessTarget::Impl {
    explicit Impl(int p) : pid(p), memory(p) {}

    int pid;
    ProcessMemory memory;
    std::unique_ptr<ProcessStopper> stopper;
    // Every stop so far, summed (kept once its stopper is gone).
    std::optional<std::chrono::nanoseconds> stoppedFor;
    std::optional<std::chrono::nanoseconds> cpuWhileStopped;
    std::chrono::nanoseconds longestStop{0};
    int stops = 0;
    // The walks asked for so far (beginWalk), what the current one reads, and
    // whether a stop was cut short (then no walk can be one moment: none is retried).
    int walks = 0;
    enum class Walk { Running, Rehearsal, Copy, Held } walk = Walk::Running;
    bool cutShort = false;
    bool finished = false;   // resume() was called: never stop again
    ProcessInfo process;
    std::vector<ThreadInfo> threads;
    std::vector<Mapping> mappings;
    std::vector<std::string> warnings;
    // The process sees another file tree (a container seen from the host): its
    // paths are looked up under /proc/PID/root first, where they mean what they
    // meant to it, even when the host has a file of the same name.
    bool otherMountNamespace = false;
    // Thread ids in the process's own pid namespace -> ours (NSpid in
    // /proc/PID/task/TID/status); empty when it is in ours.
    std::map<std::int64_t, std::int64_t> hostTidOf;
    bool stopWhenFrozen = false;
    std::chrono::milliseconds maxStop{1000};

    // The threads that exist now (the stopped ones, with their registers,
    // while a stopper holds them); nameThreads() adds their names, which need
    // no stop.
    void listThreads();
    void nameThreads();
    void stop();
    void letGo();
};

LiveProcessTarget::LiveProcessTarget(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

LiveProcessTarget::~LiveProcessTarget() { resume(); }

std::unique_ptr<LiveProcessTarget> LiveProcessTarget::attach(int pid, const LiveOptions& options)
{
    const std::string proc = fmt::format("/proc/{}", pid);
    std::error_code ignored;
    if (pid <= 0 || !std::filesystem::exists(proc, ignored))
        throw Error(ErrorKind::System, fmt::format("cannot attach to PID {}: no such process", pid));

    auto impl = std::make_unique<Impl>(pid);
    impl->stopWhenFrozen = options.stopThreads;
    impl->maxStop = options.maxStop;
    if (options.stopThreads) impl->memory.reserveCache();
    impl->otherMountNamespace = inOtherMountNamespace(pid);
    impl->hostTidOf = threadIdsByNamespaceId(pid);

    impl->mappings = parseProcMaps(readProcFile(proc + "/maps"));
    if (impl->mappings.empty()) {
        // Reading another user's maps takes what ptrace takes: say which it lacks.
        const int fd = ::open((proc + "/maps").c_str(), O_RDONLY | O_CLOEXEC);
        const int error = fd < 0 ? errno : 0;
        if (fd >= 0) ::close(fd);
        if (error == EACCES || error == EPERM)
            throw Error(ErrorKind::System, explainRefusal(pid, "", error, gatherPtraceFacts(pid, pid)));
        throw Error(ErrorKind::System, fmt::format("cannot attach to PID {}: cannot read {}/maps", pid, proc));
    }
    // Reading its memory takes what attaching takes (the maps may be readable
    // with less): refuse now, saying what is missing, rather than report "no
    // CPython runtime" after every read failed.
    const int memFd = ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    const int memError = memFd < 0 ? errno : 0;
    if (memFd >= 0) ::close(memFd);
    if (memError == EACCES || memError == EPERM)
        throw Error(ErrorKind::System, explainRefusal(pid, "", memError, gatherPtraceFacts(pid, pid)));

    ProcessInfo& info = impl->process;
    info.pid = pid;
    if (auto entry = readProcessEntry(pid)) {
        info.ppid = entry->ppid;
        info.command = entry->command;
        info.forkedWithoutExec = (entry->flags & kPfForkNoExec) != 0;
    }
    info.executable = std::filesystem::read_symlink(proc + "/exe", ignored).string();
    info.children = listChildren(pid);

    impl->listThreads();
    impl->nameThreads();
    return std::unique_ptr<LiveProcessTarget>(new LiveProcessTarget(std::move(impl)));
}

void LiveProcessTarget::Impl::listThreads()
{
    const std::string proc = fmt::format("/proc/{}", pid);
    std::error_code ignored;
    std::vector<int> tids;
    if (stopper) {
        tids = stopper->stoppedThreads();
    } else {
        for (const auto& entry : std::filesystem::directory_iterator(proc + "/task", ignored)) {
            int tid = std::atoi(entry.path().filename().c_str());
            if (tid > 0) tids.push_back(tid);
        }
    }
    std::sort(tids.begin(), tids.end());  // the leader (tid == pid) first
    std::map<int, std::string> names;
    for (const ThreadInfo& thread : threads) names[static_cast<int>(thread.tid)] = thread.name;
    threads.clear();
    for (int tid : tids) {
        ThreadInfo thread;
        thread.tid = tid;
        if (auto it = names.find(tid); it != names.end()) thread.name = it->second;
        if (stopper)
            thread.registers = stopper->registers(tid);
        else
            thread.blockedStackPointer = blockedStackPointer(readProcFile(fmt::format("{}/task/{}/syscall", proc, tid)));
        threads.push_back(std::move(thread));
    }
}

void LiveProcessTarget::Impl::nameThreads()
{
    for (ThreadInfo& thread : threads)
        if (thread.name.empty())
            thread.name = trimNewline(readProcFile(fmt::format("/proc/{}/task/{}/comm", pid, thread.tid)));
}

void LiveProcessTarget::Impl::stop()
{
    stopper = std::make_unique<ProcessStopper>(pid, maxStop);
    memory.setCacheMode(ProcessMemory::CacheMode::Cached);
    memory.prefetchRecorded();   // what the last walk read, in a few system calls
    listThreads();               // the threads that exist now, with their registers
}

void LiveProcessTarget::Impl::letGo()
{
    if (!stopper) return;
    stopper->detach();
    if (auto held = stopper->stoppedFor()) {
        stoppedFor = stoppedFor.value_or(std::chrono::nanoseconds(0)) + *held;
        cpuWhileStopped = cpuWhileStopped.value_or(std::chrono::nanoseconds(0))
                          + stopper->cpuWhileStopped().value_or(std::chrono::nanoseconds(0));
        longestStop = std::max(longestStop, *held);
        ++stops;
    }
    stopper.reset();
}

void LiveProcessTarget::beginWalk()
{
    Impl& impl = *m_impl;
    if (!impl.stopWhenFrozen || impl.stopper || impl.finished) return;
    ++impl.walks;
    if (impl.walks == 1) {
        // The rehearsal: the process runs, and its pages are noted.
        // Cached, though it runs: the result is thrown away, and a page read
        // once is read once (~400 system calls instead of ~11,000).
        impl.walk = Impl::Walk::Rehearsal;
        impl.memory.setCacheMode(ProcessMemory::CacheMode::Cached);
        impl.memory.recordPages(true);
        return;
    }
    impl.memory.setCacheMode(ProcessMemory::CacheMode::Off);
    if (impl.walks - 1 > kCopyWalks) {
        // The copies kept missing pages (a process that changes faster than
        // it is copied): hold it for the whole walk.
        freeze();
        return;
    }
    impl.memory.recordPages(false);   // sizes (and touches) the cache before the stop
    impl.stop();
    if (auto why = impl.stopper->mustRelease()) {
        impl.cutShort = true;
        impl.warnings.push_back(fmt::format(
            "the process was let go after {} ms of being stopped: {}; what was read may not be one consistent moment",
            std::chrono::duration_cast<std::chrono::milliseconds>(impl.stopper->heldSoFar()).count(), *why));
    }
    impl.letGo();
    impl.walk = Impl::Walk::Copy;
    impl.memory.setCacheMode(ProcessMemory::CacheMode::Copy);
    impl.memory.recordPages(true);   // what this walk reads, for the next copy if it must be retried
    impl.nameThreads();
}

bool LiveProcessTarget::walkWasConsistent() const
{
    switch (m_impl->walk) {
    case Impl::Walk::Rehearsal: return false;
    case Impl::Walk::Copy: return m_impl->cutShort || m_impl->memory.copyMisses() == 0;
    case Impl::Walk::Running:
    case Impl::Walk::Held: return true;
    }
    return true;
}

void LiveProcessTarget::freeze()
{
    Impl& impl = *m_impl;
    if (!impl.stopWhenFrozen || impl.stopper || impl.finished) return;
    impl.memory.recordPages(false);
    impl.stop();
    impl.nameThreads();
    impl.walk = Impl::Walk::Held;
}

void LiveProcessTarget::resume()
{
    m_impl->finished = true;
    m_impl->memory.setCacheMode(ProcessMemory::CacheMode::Off);
    m_impl->letGo();
}

std::optional<std::chrono::nanoseconds> LiveProcessTarget::stoppedFor() const { return m_impl->stoppedFor; }
std::optional<std::chrono::nanoseconds> LiveProcessTarget::cpuWhileStopped() const
{
    return m_impl->cpuWhileStopped;
}
int LiveProcessTarget::stops() const { return m_impl->stops; }
std::chrono::nanoseconds LiveProcessTarget::longestStop() const { return m_impl->longestStop; }

std::size_t LiveProcessTarget::read(std::uint64_t address, void* out, std::size_t size)
{
    if (m_impl->stopper) {
        if (auto why = m_impl->stopper->mustRelease()) {
            const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(
                m_impl->stopper->heldSoFar()).count();
            resume();
            m_impl->cutShort = true;
            m_impl->warnings.push_back(fmt::format(
                "the process was let go after {} ms of being stopped: {}; the rest was read while it ran, "
                "so it may not be one consistent moment", held, *why));
        }
    }
    return m_impl->memory.read(address, out, size);
}

const std::vector<std::string>& LiveProcessTarget::warnings() const { return m_impl->warnings; }

const ProcessInfo& LiveProcessTarget::process() const { return m_impl->process; }
const std::vector<ThreadInfo>& LiveProcessTarget::threads() const { return m_impl->threads; }
const std::vector<Mapping>& LiveProcessTarget::mappings() const { return m_impl->mappings; }

std::int64_t LiveProcessTarget::hostThreadId(std::int64_t tid) const
{
    auto it = m_impl->hostTidOf.find(tid);
    return it != m_impl->hostTidOf.end() ? it->second : tid;
}

std::string LiveProcessTarget::resolveModulePath(const std::string& mappedPath) const
{
    std::error_code ignored;
    if (mappedPath.empty() || mappedPath.front() != '/') return mappedPath;
    std::string viaRoot = fmt::format("/proc/{}/root{}", m_impl->pid, mappedPath);
    if (m_impl->otherMountNamespace && std::filesystem::exists(viaRoot, ignored)) return viaRoot;
    if (std::filesystem::exists(mappedPath, ignored)) return mappedPath;
    if (std::filesystem::exists(viaRoot, ignored)) return viaRoot;
    // A deleted or replaced file is still reachable through its mapping.
    for (const Mapping& mapping : m_impl->mappings) {
        if (mapping.path == mappedPath && mapping.fileOffset == 0) {
            std::string viaMap = fmt::format("/proc/{}/map_files/{:x}-{:x}", m_impl->pid, mapping.start, mapping.end);
            if (std::filesystem::exists(viaMap, ignored)) return viaMap;
        }
    }
    return mappedPath;
}

}  // namespace pyautopsy::target
