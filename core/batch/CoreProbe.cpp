#include "batch/CoreProbe.h"

#include "target/CoreNotes.h"
#include "target/ElfNotes.h"

#include <fmt/format.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace pyautopsy::batch {
namespace {

constexpr std::size_t kMaxProgramHeaders = 65535;       // e_phnum is 16 bits (PN_XNUM aside)
constexpr std::uint64_t kMaxNoteBytes = 64 * 1024 * 1024;  // thousands of threads' notes
constexpr std::uint64_t kMaxPlausibleBytes = std::uint64_t{1} << 47;  // the x86_64 user address space

bool readAt(int fd, void* out, std::size_t size, std::uint64_t offset)
{
    auto* bytes = static_cast<std::uint8_t*>(out);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, bytes + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

bool isElfCoreHeader(std::span<const std::uint8_t> h)
{
    if (h.size() < 18 || std::memcmp(h.data(), ELFMAG, SELFMAG) != 0) return false;
    const bool little = h[EI_DATA] == ELFDATA2LSB;
    const unsigned type = little ? (h[16] | (h[17] << 8)) : ((h[16] << 8) | h[17]);
    return type == ET_CORE;
}

CoreProbe probeCore(const std::string& path)
{
    CoreProbe probe;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        probe.problem = std::strerror(errno);
        return probe;
    }
    struct Closer { int fd; ~Closer() { ::close(fd); } } closer{fd};

    Elf64_Ehdr header{};
    if (!readAt(fd, &header, sizeof header, 0)) {
        probe.problem = "shorter than an ELF header";
        return probe;
    }
    probe.elfCore = isElfCoreHeader({reinterpret_cast<const std::uint8_t*>(&header), sizeof header});
    if (!probe.elfCore) return probe;
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
        header.e_phentsize != sizeof(Elf64_Phdr)) {
        probe.problem = "not a 64-bit little-endian core";
        return probe;
    }
    if (header.e_phnum == 0 || header.e_phnum > kMaxProgramHeaders) {
        probe.problem = "no program headers";
        return probe;
    }
    std::vector<Elf64_Phdr> segments(header.e_phnum);
    if (!readAt(fd, segments.data(), segments.size() * sizeof(Elf64_Phdr), header.e_phoff)) {
        probe.problem = "truncated inside its program headers";
        return probe;
    }
    struct stat st{};
    if (::fstat(fd, &st) == 0) probe.fileBytes = static_cast<std::uint64_t>(st.st_size);
    for (const auto& segment : segments) {
        if (segment.p_offset > kMaxPlausibleBytes || segment.p_filesz > kMaxPlausibleBytes) {
            probe.corruptHeaders = true;
            continue;
        }
        probe.expectedBytes = std::max<std::uint64_t>(probe.expectedBytes, segment.p_offset + segment.p_filesz);
    }
    std::uint64_t noteBytes = 0;
    for (const auto& segment : segments) {
        if (segment.p_type != PT_NOTE) continue;
        noteBytes += segment.p_filesz;
        if (segment.p_filesz == 0 || noteBytes > kMaxNoteBytes) continue;
        std::vector<std::uint8_t> area(segment.p_filesz);
        if (!readAt(fd, area.data(), area.size(), segment.p_offset)) {
            probe.problem = "truncated inside its notes";
            continue;
        }
        target::forEachNote(area, segment.p_align ? segment.p_align : 4, [&](const target::ElfNote& note) {
            if (note.name != "CORE" || note.type != target::core_notes::kPrPsInfo) return true;
            if (auto info = target::core_notes::parsePrPsInfo(note.desc)) {
                probe.pid = info->pid;
                probe.ppid = info->ppid;
                probe.pgrp = info->pgrp;
                probe.command = info->fileName;
            }
            return false;
        });
        if (probe.pid) break;
    }
    if (!probe.pid && probe.problem.empty()) probe.problem = "no NT_PRPSINFO note";
    return probe;
}

}  // namespace pyautopsy::batch
