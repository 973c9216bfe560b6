#include "target/ProcessMemory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

// Above this size a read bypasses the cache: it is a bulk copy, not a walk.
constexpr std::size_t kMaxCachedRead = 16 * 1024;
// A rehearsal's reads remembered at most (with repeats): a walk makes ~11,000.
constexpr std::size_t kMaxRecordedReads = 1 << 20;

}  // namespace

ProcessMemory::ProcessMemory(int pid) : m_pid(pid) {}

ProcessMemory::~ProcessMemory()
{
    if (m_memFd >= 0) ::close(m_memFd);
}

void ProcessMemory::enableCache(bool enabled)
{
    m_cacheEnabled = enabled;
    m_pages.clear();
    m_poolUsed = 0;
}

void ProcessMemory::reserveCache()
{
    if (m_pool.empty()) {
        m_pool.resize(kMaxCachedPages);   // value-initialised: every page is written, so faulted in
        m_pages.reserve(kMaxCachedPages);
    }
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
    if (m_pool.size() < want) {
        m_pages.clear();
        m_poolUsed = 0;
        m_pool.clear();
        m_pool.shrink_to_fit();
        m_pool.resize(want);
        m_pages.reserve(want);
    }
}

std::size_t ProcessMemory::prefetchRecorded()
{
    std::vector<std::uint64_t> pages;
    pages.swap(m_recorded);
    if (!m_cacheEnabled || !m_useVmReadv || pages.empty()) return 0;
    reserveCache();
    std::size_t copied = 0;
    std::vector<iovec> local;
    std::vector<iovec> remote;
    std::size_t next = 0;
    while (next < pages.size() && m_poolUsed < m_pool.size()) {
        const std::size_t batch = std::min({pages.size() - next, m_pool.size() - m_poolUsed, std::size_t{IOV_MAX}});
        local.clear();
        remote.clear();
        for (std::size_t i = 0; i < batch; ++i) {
            local.push_back({m_pool[m_poolUsed + i].data(), kPageSize});
            remote.push_back({reinterpret_cast<void*>(pages[next + i]), kPageSize});
        }
        const ssize_t got = ::process_vm_readv(m_pid, local.data(), batch, remote.data(), batch, 0);
        if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
            m_useVmReadv = false;   // read() falls back to /proc/PID/mem page by page
            break;
        }
        // The call stops at the first page it cannot read, and never splits a
        // page: keep the whole pages before it, skip it, go on after it.
        const std::size_t whole = got < 0 ? 0 : static_cast<std::size_t>(got) / kPageSize;
        for (std::size_t i = 0; i < whole; ++i) m_pages.emplace(pages[next + i], &m_pool[m_poolUsed + i]);
        m_poolUsed += whole;
        copied += whole;
        next += whole == batch ? whole : whole + 1;
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
    if (m_recording && !m_cacheEnabled && size > 0 && size <= kMaxCachedRead && m_recorded.size() < kMaxRecordedReads) {
        const std::uint64_t last = (address + size - 1) & ~std::uint64_t{kPageSize - 1};
        for (std::uint64_t page = address & ~std::uint64_t{kPageSize - 1}; page <= last; page += kPageSize)
            m_recorded.push_back(page);
    }
    if (!m_cacheEnabled || size > kMaxCachedRead) return readUncached(address, out, size);
    auto* dest = static_cast<std::uint8_t*>(out);
    std::size_t copied = 0;
    while (copied < size) {
        const std::uint64_t at = address + copied;
        const std::uint64_t pageAddress = at & ~std::uint64_t{kPageSize - 1};
        const std::size_t within = static_cast<std::size_t>(at - pageAddress);
        const std::size_t chunk = std::min(size - copied, kPageSize - within);
        const Page* page = cachedPage(pageAddress);
        if (page == nullptr) return copied + readUncached(at, dest + copied, chunk);  // page partly unreadable
        std::memcpy(dest + copied, page->data() + within, chunk);
        copied += chunk;
    }
    return copied;
}

}  // namespace pyautopsy::target
