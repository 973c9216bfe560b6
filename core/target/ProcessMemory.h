// ProcessMemory: reads another process's memory, never writes it.
//
// Uses process_vm_readv, and pread on /proc/PID/mem where that syscall is
// missing or refused (ENOSYS, EPERM). The page cache has three modes:
//  - Off: every read goes to the process.
//  - Cached: pages read are kept (256 of 4 KiB beyond what was prefetched,
//    dropped wholesale when full), saving the many tiny reads a CPython walk
//    makes. Exact while the process is stopped; a rehearsal, whose result is
//    thrown away, uses it while the process runs.
//  - Copy: the process runs again and the cache is a copy of its pages from
//    the moment it was stopped: reads are served from it; a page it lacks is
//    read from the running process and counted (copyMisses()), since it may
//    not belong to that moment.
// A walk tells which pages the next one will read (recordPages):
// prefetchRecorded() copies them into the cache right after a stop with a
// few scattered process_vm_readv calls instead of one per page.
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

    enum class CacheMode { Off, Cached, Copy };
    // Off and Cached start from an empty cache; Copy keeps what was cached.
    void setCacheMode(CacheMode mode);
    // In Copy mode: the reads that needed a page the copy lacks.
    std::size_t copyMisses() const { return m_copyMisses; }
    // Allocates (and touches) the cache's memory now: page faults are costly
    // (in VMs especially), so taking them before the target is stopped keeps
    // them out of the time it is held.
    void reserveCache();

    // While on, remembers the pages reads touch (in Off mode only those of
    // reads small enough for the cache: a walk's; in Copy mode all); turning
    // it off sizes the cache for them (up to kMaxRecordedPages) and touches it.
    // Only in Off mode, before a stop: resizing drops what is cached.
    void recordPages(bool on);
    // In Cached mode: copies the recorded pages into the cache (those still
    // readable; a Copy-mode read of one that was not is no miss) and forgets
    // them. Returns how many it copied.
    std::size_t prefetchRecorded();

    static constexpr std::size_t kPageSize = 4096;
    static constexpr std::size_t kMaxCachedPages = 256;
    static constexpr std::size_t kMaxRecordedPages = 2048;   // 8 MiB: a bound, far above a walk's ~400

private:
    using Page = std::array<std::uint8_t, kPageSize>;
    std::size_t readUncached(std::uint64_t address, void* out, std::size_t size);
    // An empty cache of `pages` fresh pages, faulted in and written once by the kernel.
    void sizePool(std::size_t pages);
    const Page* cachedPage(std::uint64_t pageAddress);

    int m_pid;
    int m_memFd = -1;              // /proc/PID/mem, opened on first need
    bool m_useVmReadv = true;
    CacheMode m_mode = CacheMode::Off;
    std::size_t m_copyMisses = 0;
    std::vector<Page> m_pool;      // the cache's pages, reused when it is dropped
    std::size_t m_poolUsed = 0;
    std::unordered_map<std::uint64_t, const Page*> m_pages;
    bool m_recording = false;
    std::vector<std::uint64_t> m_recorded;   // page addresses, with repeats until recordPages(false)
    std::vector<std::uint64_t> m_unreadable; // sorted: pages the last prefetch could not read
};

}  // namespace pyautopsy::target
