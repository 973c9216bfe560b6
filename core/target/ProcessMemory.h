// ProcessMemory: reads another process's memory, never writes it.
//
// Uses process_vm_readv, and pread on /proc/PID/mem where that syscall is
// missing or refused (ENOSYS, EPERM). While the process is stopped the bytes
// cannot change, so a small page cache (256 pages of 4 KiB, dropped wholesale
// when full) saves the many tiny reads a CPython walk makes; the cache is off
// unless enableCache(true) and must be turned off before the process resumes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pyautopsy::target {

class ProcessMemory {
public:
    explicit ProcessMemory(int pid);
    ~ProcessMemory();
    ProcessMemory(const ProcessMemory&) = delete;
    ProcessMemory& operator=(const ProcessMemory&) = delete;

    // Copies up to `size` bytes from the start of the range; returns the count.
    std::size_t read(std::uint64_t address, void* out, std::size_t size);

    void enableCache(bool enabled);
    // Allocates (and touches) the cache's memory now: page faults are costly
    // (in VMs especially), so taking them before the target is stopped keeps
    // them out of the time it is held.
    void reserveCache();

    static constexpr std::size_t kPageSize = 4096;
    static constexpr std::size_t kMaxCachedPages = 256;

private:
    using Page = std::array<std::uint8_t, kPageSize>;
    std::size_t readUncached(std::uint64_t address, void* out, std::size_t size);
    const Page* cachedPage(std::uint64_t pageAddress);

    int m_pid;
    int m_memFd = -1;              // /proc/PID/mem, opened on first need
    bool m_useVmReadv = true;
    bool m_cacheEnabled = false;
    std::vector<Page> m_pool;      // the cache's pages, reused when it is dropped
    std::size_t m_poolUsed = 0;
    std::unordered_map<std::uint64_t, const Page*> m_pages;
};

}  // namespace pyautopsy::target
