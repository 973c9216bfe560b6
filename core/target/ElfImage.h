// ElfImage: one ELF file on disk, opened read-only with libelf.
//
// Used for what a process's memory cannot tell us: symbol tables (.dynsym and
// .symtab; no DWARF needed), section headers (.PyRuntime), build-ids, and the
// read-only pages a core file leaves out (.rodata strings such as tp_name).
// Addresses here are the file's own virtual addresses; ModuleIndex adds the
// load bias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::target {

struct ElfSymbol {
    std::string name;
    std::uint64_t value = 0;   // st_value (file virtual address)
    std::uint64_t size = 0;
    bool isFunction = false;
};

struct ElfSection {
    std::string name;
    std::uint64_t address = 0; // sh_addr
    std::uint64_t offset = 0;  // sh_offset
    std::uint64_t size = 0;
    bool hasFileBytes = false; // SHT_PROGBITS and friends (not NOBITS)
};

struct ElfSegment {            // a PT_LOAD program header
    std::uint64_t vaddr = 0, memsz = 0, offset = 0, filesz = 0;
    bool writable = false, executable = false;
};

class ElfImage {
public:
    // Opens `path`; throws pyautopsy::Error(BadInput) if it is missing or not ELF.
    static std::shared_ptr<ElfImage> open(const std::string& path);
    ~ElfImage();
    ElfImage(const ElfImage&) = delete;
    ElfImage& operator=(const ElfImage&) = delete;

    const std::string& path() const;
    bool isExecutable() const;       // ET_EXEC (non-PIE): load bias is 0
    bool isSharedObject() const;     // ET_DYN
    const std::vector<ElfSegment>& loadSegments() const;

    // Looks `name` up in .dynsym, then (unless dynamicOnly) .symtab. Defined
    // symbols only. The first .symtab lookup indexes the whole table (tens of
    // thousands of symbols in libpython): ask for dynamicOnly when an exported
    // name is all that can answer the question.
    std::optional<ElfSymbol> findSymbol(std::string_view name, bool dynamicOnly = false) const;
    // The function symbol whose [value, value+size) holds `vaddr`, or the
    // nearest preceding one when sizes are missing; for native frames.
    std::optional<ElfSymbol> symbolize(std::uint64_t vaddr) const;
    // symbolize() of each address, in order, with the same answers. A
    // crashed thread's few dozen addresses are found in one pass over the
    // symbol tables, which needs no memory; the sorted index of every
    // function costs about as much CPU to build, but 0.3-1 MiB of fresh heap
    // for an unstripped binary (~25,000 symbols in a debug python3.14d),
    // enough to push a run's heap past its huge page. The index answers a
    // batch of more than kAddressesPerScan addresses, and every batch after
    // the first kScansBeforeIndexing (--native walks every thread).
    std::vector<std::optional<ElfSymbol>> symbolizeAll(std::span<const std::uint64_t> vaddrs) const;
    static constexpr std::size_t kAddressesPerScan = 64;
    static constexpr unsigned kScansBeforeIndexing = 2;
    std::optional<ElfSection> findSection(std::string_view name) const;

    // GNU build-id as lowercase hex, when the file has one.
    const std::optional<std::string>& buildId() const;

    // Bytes of the file at virtual address `vaddr`, as loaded (only what is
    // backed by file contents). Returns the count copied.
    std::size_t readVirtual(std::uint64_t vaddr, void* out, std::size_t size) const;

private:
    struct Impl;
    explicit ElfImage(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pyautopsy::target
