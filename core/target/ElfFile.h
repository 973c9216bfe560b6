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
#include <span>
#include <string>

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

private:
    std::string m_path;
    int m_fd = -1;
    Elf* m_elf = nullptr;
    GElf_Ehdr m_header{};
    std::span<const std::uint8_t> m_bytes;
};

}  // namespace pyautopsy::target
