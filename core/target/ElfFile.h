// ElfFile: one file opened read-only and mapped through libelf (ELF_C_READ_MMAP).
//
// The shared plumbing under ElfImage (executables and libraries) and
// CoreFileTarget (core files): it owns the descriptor and the Elf handle, and
// exposes the raw mapped bytes so callers can read notes and segments without
// copying. open() throws pyautopsy::Error(BadInput, "<path>: <why>") for a
// missing file or one that is not ELF; it does not check the ELF type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <gelf.h>

namespace pyautopsy::target {

class ElfFile {
public:
    explicit ElfFile(const std::string& path);
    ~ElfFile();
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    const std::string& path() const { return m_path; }
    Elf* elf() const { return m_elf; }
    const GElf_Ehdr& header() const { return m_header; }
    // The whole file as mapped; program and section contents are sub-spans of it.
    std::span<const std::uint8_t> bytes() const { return m_bytes; }
    // bytes()[offset, offset+size) clipped to the file; empty when out of range.
    std::span<const std::uint8_t> slice(std::uint64_t offset, std::uint64_t size) const;

    // Copies the file's bytes at [offset, offset+size) to `out` through a cache
    // of 2 KiB blocks read with pread; returns how many bytes there were.
    // For scattered reads of a large file (a core's memory): the mapping would
    // fault in (and count in RSS) up to 64 KiB around every touched page.
    // A walk reads ~100 KiB in ~10,000 small reads spread over ~360 pages of
    // a core. Whole pages cost 1.4 MiB of fresh memory for them; 1 KiB blocks
    // ~630 preads; 2 KiB blocks ~500 preads and 1 MiB, which the CLI's heap
    // (cli/HugePageHeap.h) provides without a fault per page.
    std::size_t copy(std::uint64_t offset, void* out, std::size_t size) const;
    // How many blocks copy() has read from the file so far (one pread each).
    std::size_t blocksRead() const;
    static constexpr std::uint64_t kBlock = 2048;
    // The cached bytes of block `index` (file offset index * kBlock), read on
    // first use: kBlock bytes, fewer for the file's last block, empty past
    // the end or if the file shrank. Valid until the cache starts over (past
    // 64 MiB of blocks), which changes cacheEpoch().
    std::span<const std::uint8_t> block(std::uint64_t index) const;
    std::size_t cacheEpoch() const;

private:
    std::string m_path;
    int m_fd = -1;
    Elf* m_elf = nullptr;
    GElf_Ehdr m_header{};
    std::span<const std::uint8_t> m_bytes;

    static constexpr std::size_t kBlocksPerChunk = 64;       // allocated together, filled in order
    static constexpr std::size_t kMaxCachedBlocks = 32768;   // 64 MiB; past that the cache starts over
    const std::uint8_t* cachedBlock(std::uint64_t index) const;   // nullptr: the file shrank under us
    mutable std::mutex m_blocksLock;
    mutable std::unordered_map<std::uint64_t, const std::uint8_t*> m_blocks;   // block index -> bytes
    mutable std::vector<std::unique_ptr<std::uint8_t[]>> m_chunks;
    mutable std::size_t m_usedInChunk = kBlocksPerChunk;
    mutable std::size_t m_blocksRead = 0;
    mutable std::size_t m_cacheEpoch = 0;                  // how many times the cache started over
    mutable std::uint64_t m_lastIndex = 0;                 // the block the last copy() used
    mutable const std::uint8_t* m_lastBlock = nullptr;
};

}  // namespace pyautopsy::target
