#include "target/ProcessMemory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <span>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

// Above this size a read bypasses the cache: it is a bulk copy, not a walk.
constexpr std::size_t kMaxCachedRead = 16 * 1024;
// A rehearsal's reads remembered at most (with repeats): a walk makes ~11,000.
constexpr std::size_t kMaxRecordedReads = 1 << 20;

// Has the kernel write every page of `bytes` once, by copying them onto
// themselves with process_vm_readv. A page written by us is not yet one the
// kernel has written: on a paravirtualized guest (PVM) the kernel's first
// write to each page of ours costs a fault of its own, ~4 us, which the
// stop's copy would otherwise pay for every page it fills (300 pages: 1.6 ms
// instead of 0.25 ms).
void letTheKernelWrite(std::span<std::uint8_t> bytes)
{
    if (bytes.empty()) return;
    iovec self{bytes.data(), bytes.size()};
    (void)::process_vm_readv(::getpid(), &self, 1, &self, 1, 0);
}

}  // namespace

ProcessMemory::ProcessMemory(int pid) : m_pid(pid) {}

ProcessMemory::~ProcessMemory()
{
    if (m_memFd >= 0) ::close(m_memFd);
}

void ProcessMemory::setCacheMode(CacheMode mode)
{
    if (mode != CacheMode::Copy) {
        m_pages.clear();
        m_poolUsed = 0;
        m_unreadable.clear();
    }
    m_mode = mode;
    m_copyMisses = 0;
}

void ProcessMemory::reserveCache()
{
    if (m_pool.empty()) sizePool(kMaxCachedPages);
}

void ProcessMemory::sizePool(std::size_t pages)
{
    m_pages.clear();
    m_poolUsed = 0;
    m_pool.clear();
    m_pool.shrink_to_fit();
    m_pool.resize(pages);   // value-initialised: every page is written, so faulted in
    m_pages.reserve(pages);
    letTheKernelWrite({m_pool.front().data(), m_pool.size() * kPageSize});
}

void ProcessMemory::recordPages(bool on)
{
    if (on) {
        m_recorded.clear();
        m_recording = true;
        return;
    }
    m_recording = false;
    std::sort(m_recorded.begin(), m_recorded.end());
    m_recorded.erase(std::unique(m_recorded.begin(), m_recorded.end()), m_recorded.end());
    if (m_recorded.size() > kMaxRecordedPages) m_recorded.resize(kMaxRecordedPages);
    // Room for the recorded pages and for as many again read on demand, taken
    // (faulted in) now, before the stop. The cache is empty: nothing points
    // into the pool yet.
    const std::size_t want = std::max(kMaxCachedPages, m_recorded.size() + kMaxCachedPages);
    if (m_pool.size() < want) sizePool(want);
}

std::size_t ProcessMemory::prefetchRecorded()
{
    std::vector<std::uint64_t> pages;
    pages.swap(m_recorded);
    if (m_mode != CacheMode::Cached || !m_useVmReadv || pages.empty()) return 0;
    reserveCache();
    std::size_t copied = 0;
    std::vector<iovec> remote;
    std::size_t next = 0;
    while (next < pages.size() && m_poolUsed < m_pool.size()) {
        // Runs of consecutive pages are one remote element each (the kernel
        // pins and copies a run in one go: per page, 4x cheaper than a page
        // per element here); the pool's free slots are one local buffer.
        remote.clear();
        std::size_t count = 0;
        for (; next + count < pages.size() && m_poolUsed + count < m_pool.size(); ++count) {
            const std::uint64_t page = pages[next + count];
            if (!remote.empty()
                && reinterpret_cast<std::uint64_t>(remote.back().iov_base) + remote.back().iov_len == page) {
                remote.back().iov_len += kPageSize;
                continue;
            }
            if (remote.size() == IOV_MAX) break;
            remote.push_back({reinterpret_cast<void*>(page), kPageSize});
        }
        iovec local{m_pool[m_poolUsed].data(), count * kPageSize};
        const ssize_t got = ::process_vm_readv(m_pid, &local, 1, remote.data(), remote.size(), 0);
        if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
            m_useVmReadv = false;   // read() falls back to /proc/PID/mem page by page
            break;
        }
        // The call stops at the first page it cannot read, or at the start of
        // the run holding it, and never splits a page: keep the whole pages
        // before that, ask the page there alone, go on after it.
        const std::size_t whole = got < 0 ? 0 : static_cast<std::size_t>(got) / kPageSize;
        for (std::size_t i = 0; i < whole; ++i) m_pages.emplace(pages[next + i], &m_pool[m_poolUsed + i]);
        m_poolUsed += whole;
        copied += whole;
        next += whole;
        if (whole == count) continue;
        Page& slot = m_pool[m_poolUsed];
        iovec one{slot.data(), kPageSize};
        iovec from{reinterpret_cast<void*>(pages[next]), kPageSize};
        if (::process_vm_readv(m_pid, &one, 1, &from, 1, 0) == static_cast<ssize_t>(kPageSize)) {
            m_pages.emplace(pages[next], &slot);
            ++m_poolUsed;
            ++copied;
        } else {
            m_unreadable.push_back(pages[next]);   // ascending, as `pages` is
        }
        ++next;
    }
    return copied;
}

std::size_t ProcessMemory::readUncached(std::uint64_t address, void* out, std::size_t size)
{
    if (size == 0) return 0;
    if (m_useVmReadv) {
        iovec local{out, size};
        iovec remote{reinterpret_cast<void*>(address), size};
        ssize_t got = ::process_vm_readv(m_pid, &local, 1, &remote, 1, 0);
        if (got >= 0) return static_cast<std::size_t>(got);
        if (errno != ENOSYS && errno != EPERM) return 0;  // EFAULT, ESRCH: nothing readable there
        m_useVmReadv = false;
    }
    if (m_memFd < 0) {
        m_memFd = ::open(fmt::format("/proc/{}/mem", m_pid).c_str(), O_RDONLY | O_CLOEXEC);
        if (m_memFd < 0) return 0;
    }
    auto* dest = static_cast<char*>(out);
    std::size_t copied = 0;
    while (copied < size) {
        ssize_t got = ::pread(m_memFd, dest + copied, size - copied, static_cast<off_t>(address + copied));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        copied += static_cast<std::size_t>(got);
    }
    return copied;
}

const ProcessMemory::Page* ProcessMemory::cachedPage(std::uint64_t pageAddress)
{
    if (auto it = m_pages.find(pageAddress); it != m_pages.end()) return it->second;
    if (m_mode == CacheMode::Copy) return nullptr;   // the process runs: nothing more is cached
    reserveCache();
    if (m_poolUsed == m_pool.size()) {   // full: drop everything, reuse the pages
        m_pages.clear();
        m_poolUsed = 0;
    }
    Page* page = &m_pool[m_poolUsed];
    if (readUncached(pageAddress, page->data(), kPageSize) != kPageSize) return nullptr;
    ++m_poolUsed;
    m_pages.emplace(pageAddress, page);
    return page;
}

std::size_t ProcessMemory::read(std::uint64_t address, void* out, std::size_t size)
{
    const bool cacheable = size <= kMaxCachedRead || m_mode == CacheMode::Copy;
    if (m_recording && cacheable && size > 0 && m_recorded.size() < kMaxRecordedReads) {
        const std::uint64_t last = (address + size - 1) & ~std::uint64_t{kPageSize - 1};
        for (std::uint64_t page = address & ~std::uint64_t{kPageSize - 1}; page <= last; page += kPageSize)
            m_recorded.push_back(page);
    }
    if (m_mode == CacheMode::Off || !cacheable) return readUncached(address, out, size);
    auto* dest = static_cast<std::uint8_t*>(out);
    std::size_t copied = 0;
    while (copied < size) {
        const std::uint64_t at = address + copied;
        const std::uint64_t pageAddress = at & ~std::uint64_t{kPageSize - 1};
        const std::size_t within = static_cast<std::size_t>(at - pageAddress);
        const std::size_t chunk = std::min(size - copied, kPageSize - within);
        const Page* page = cachedPage(pageAddress);
        if (page == nullptr) {
            if (m_mode != CacheMode::Copy) return copied + readUncached(at, dest + copied, chunk);  // partly unreadable
            // Unreadable at the stop too: the same answer, and no miss.
            if (std::binary_search(m_unreadable.begin(), m_unreadable.end(), pageAddress)) return copied;
            ++m_copyMisses;
            const std::size_t got = readUncached(at, dest + copied, chunk);
            copied += got;
            if (got < chunk) return copied;
            continue;
        }
        std::memcpy(dest + copied, page->data() + within, chunk);
        copied += chunk;
    }
    return copied;
}

}  // namespace pyautopsy::target
