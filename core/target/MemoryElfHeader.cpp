#include "target/MemoryElfHeader.h"

#include "target/ElfNotes.h"

#include <elf.h>

#include <cstring>
#include <vector>

namespace pyautopsy::target {

namespace {

constexpr std::uint16_t kMaxProgramHeaders = 256;
constexpr std::uint64_t kMaxNoteBytes = 4096;
constexpr std::uint64_t kPageMask = ~std::uint64_t{0xfff};

}  // namespace

std::optional<MemoryElfHeader> readMemoryElfHeader(Target& target, std::uint64_t base)
{
    Elf64_Ehdr ehdr;
    if (target.read(base, &ehdr, sizeof ehdr) != sizeof ehdr) return std::nullopt;
    if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0 || ehdr.e_ident[EI_CLASS] != ELFCLASS64)
        return std::nullopt;
    if (ehdr.e_phentsize != sizeof(Elf64_Phdr) || ehdr.e_phnum == 0 || ehdr.e_phnum > kMaxProgramHeaders)
        return std::nullopt;

    std::vector<Elf64_Phdr> phdrs(ehdr.e_phnum);
    const std::size_t bytes = phdrs.size() * sizeof(Elf64_Phdr);
    if (target.read(base + ehdr.e_phoff, phdrs.data(), bytes) != bytes) return std::nullopt;

    MemoryElfHeader header;
    header.type = ehdr.e_type;
    bool foundLoad = false;
    for (const Elf64_Phdr& phdr : phdrs) {
        if (phdr.p_type == PT_LOAD && phdr.p_offset == 0) {
            header.firstLoadVaddr = phdr.p_vaddr & kPageMask;
            foundLoad = true;
            break;
        }
    }
    if (!foundLoad) return std::nullopt;

    const std::uint64_t bias = base - header.firstLoadVaddr;
    for (const Elf64_Phdr& phdr : phdrs) {
        if (phdr.p_type != PT_NOTE || header.buildId) continue;
        std::vector<std::uint8_t> notes(std::min(phdr.p_memsz, kMaxNoteBytes));
        const std::size_t got = target.read(bias + phdr.p_vaddr, notes.data(), notes.size());
        header.buildId = findBuildId(std::span(notes.data(), got), phdr.p_align);
    }
    return header;
}

}  // namespace pyautopsy::target
