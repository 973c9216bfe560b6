#include "FuzzSupport.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

namespace pyautopsy::fuzz {

InputFile::InputFile(std::span<const std::uint8_t> bytes)
{
    m_fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (m_fd < 0) std::abort();   // the harness cannot run at all: not a finding
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.data() + written, bytes.size() - written);
        if (n <= 0) std::abort();
        written += static_cast<std::size_t>(n);
    }
    m_path = "/proc/self/fd/" + std::to_string(m_fd);
}

InputFile::~InputFile() { ::close(m_fd); }

}  // namespace pyautopsy::fuzz
