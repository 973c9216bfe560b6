#include "target/ProcessMemory.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

// Above this size a read bypasses the cache: it is a bulk copy, not a walk.
constexpr std::size_t kMaxCachedRead = 16 * 1024;

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
