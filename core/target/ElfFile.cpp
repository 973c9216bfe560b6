#include "target/ElfFile.h"

#include "support/Error.h"

#include <fmt/format.h>

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

}  // namespace pyautopsy::target
