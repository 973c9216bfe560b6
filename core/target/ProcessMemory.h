// ProcessMemory: reads another process's memory, never writes it.
//
// Uses process_vm_readv, and pread on /proc/PID/mem where that syscall is
// missing or refused (ENOSYS, EPERM). While the process is stopped the bytes
// cannot change, so a small page cache (256 pages of 4 KiB, dropped wholesale
// when full) saves the many tiny reads a CPython walk makes; the cache is off
// unless enableCache(true) and must be turned off before the process resumes.
//
// A walk rehearsed while the process runs (recordPages) tells which pages the
// walk under the stop will read: prefetchRecorded() copies them into the cache
// right after the stop with a few scattered process_vm_readv calls instead of
// one call per page as the walk reaches it.
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

    // While on (and the cache off), remembers the pages reads touch; turning
    // it off sizes the cache for them (up to kMaxRecordedPages) and touches it.
    void recordPages(bool on);
    // With the cache on: copies the recorded pages into it (those still
    // readable) and forgets them. Returns how many it copied.
    std::size_t prefetchRecorded();

    static constexpr std::size_t kPageSize = 4096;
    static constexpr std::size_t kMaxCachedPages = 256;
    static constexpr std::size_t kMaxRecordedPages = 2048;   // 8 MiB: a bound, far above a walk's ~400

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
    bool m_recording = false;
    std::vector<std::uint64_t> m_recorded;   // page addresses, with repeats until recordPages(false)
};

}  // namespace pyautopsy::target
