#include "target/ElfFile.h"

#include "support/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why)
{
    throw Error(ErrorKind::BadInput, fmt::format("{}: {}", path, why));
}

}  // namespace

ElfFile::ElfFile(const std::string& path) : m_path(path)
{
    static const bool versionOk = elf_version(EV_CURRENT) != EV_NONE;
    if (!versionOk) fail(path, "libelf is unusable (elf_version failed)");

    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));

    m_elf = elf_begin(m_fd, ELF_C_READ_MMAP, nullptr);
    if (m_elf == nullptr || elf_kind(m_elf) != ELF_K_ELF) {
        // Keep the constructor's cleanup in one place: the destructor does not run.
        if (m_elf != nullptr) elf_end(m_elf);
        ::close(m_fd);
        fail(path, "not an ELF file");
    }
    std::size_t size = 0;
    const char* raw = elf_rawfile(m_elf, &size);
    if (raw == nullptr || gelf_getehdr(m_elf, &m_header) == nullptr) {
        elf_end(m_elf);
        ::close(m_fd);
        fail(path, "truncated or corrupt ELF header");
    }
    m_bytes = {reinterpret_cast<const std::uint8_t*>(raw), size};
}

ElfFile::~ElfFile()
{
    elf_end(m_elf);
    ::close(m_fd);
}

std::span<const std::uint8_t> ElfFile::slice(std::uint64_t offset, std::uint64_t size) const
{
    if (offset >= m_bytes.size()) return {};
    return m_bytes.subspan(offset, std::min<std::uint64_t>(size, m_bytes.size() - offset));
}

const std::uint8_t* ElfFile::cachedBlock(std::uint64_t index) const
{
    // Most reads are a few bytes from the block the previous read used.
    if (m_lastBlock != nullptr && m_lastIndex == index) return m_lastBlock;
    if (auto it = m_blocks.find(index); it != m_blocks.end()) {
        m_lastIndex = index;
        m_lastBlock = it->second;
        return it->second;
    }
    if (m_blocks.size() >= kMaxCachedBlocks) {
        m_blocks.clear();
        m_chunks.clear();
        m_lastBlock = nullptr;
        m_usedInChunk = kBlocksPerChunk;
        ++m_cacheEpoch;
    }
    if (m_usedInChunk == kBlocksPerChunk) {
        m_chunks.push_back(std::make_unique_for_overwrite<std::uint8_t[]>(kBlock * kBlocksPerChunk));
        m_usedInChunk = 0;
    }
    std::uint8_t* block = m_chunks.back().get() + kBlock * m_usedInChunk;
    const std::uint64_t start = index * kBlock;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, m_bytes.size() - start));
    std::size_t got = 0;
    while (got < want) {
        ssize_t n = ::pread(m_fd, block + got, want - got, static_cast<off_t>(start + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got < want) return nullptr;
    ++m_blocksRead;
    ++m_usedInChunk;
    m_blocks.emplace(index, block);
    m_lastIndex = index;
    m_lastBlock = block;
    return block;
}

std::size_t ElfFile::copy(std::uint64_t offset, void* out, std::size_t size) const
{
    const std::uint64_t fileSize = m_bytes.size();
    if (offset >= fileSize) return 0;
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, fileSize - offset));
    auto* dest = static_cast<std::uint8_t*>(out);
    std::lock_guard<std::mutex> guard(m_blocksLock);
    std::size_t copied = 0;
    while (copied < size) {
        const std::uint64_t at = offset + copied;
        const std::uint64_t index = at / kBlock;
        const std::uint8_t* cached = cachedBlock(index);
        if (cached == nullptr) {
            // The file shrank under us: fall back to what the mapping still shows.
            auto bytes = slice(at, size - copied);
            std::memcpy(dest + copied, bytes.data(), bytes.size());
            return copied + bytes.size();
        }
        const std::uint64_t within = at - index * kBlock;
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock - within, size - copied));
        std::memcpy(dest + copied, cached + within, n);
        copied += n;
    }
    return copied;
}

std::span<const std::uint8_t> ElfFile::block(std::uint64_t index) const
{
    const std::uint64_t start = index * kBlock;
    if (index >= m_bytes.size() / kBlock + 1 || start >= m_bytes.size()) return {};
    std::lock_guard<std::mutex> guard(m_blocksLock);
    const std::uint8_t* bytes = cachedBlock(index);
    if (bytes == nullptr) return {};
    return {bytes, static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, m_bytes.size() - start))};
}

std::size_t ElfFile::cacheEpoch() const
{
    std::lock_guard<std::mutex> guard(m_blocksLock);
    return m_cacheEpoch;
}

std::size_t ElfFile::blocksRead() const
{
    std::lock_guard<std::mutex> guard(m_blocksLock);
    return m_blocksRead;
}

}  // namespace pyautopsy::target
