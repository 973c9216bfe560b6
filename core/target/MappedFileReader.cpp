#include "target/MappedFileReader.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace pyautopsy::target {

MappedFileReader::~MappedFileReader()
{
    for (auto& [path, fd] : m_fds) {
        if (fd >= 0) ::close(fd);
    }
}

std::size_t MappedFileReader::read(const std::string& path, std::uint64_t offset, void* out, std::size_t size)
{
    auto it = m_fds.find(path);
    if (it == m_fds.end()) it = m_fds.emplace(path, ::open(path.c_str(), O_RDONLY | O_CLOEXEC)).first;
    if (it->second < 0) return 0;

    auto* dest = static_cast<char*>(out);
    std::size_t copied = 0;
    while (copied < size) {
        ssize_t got = ::pread(it->second, dest + copied, size - copied, static_cast<off_t>(offset + copied));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        copied += static_cast<std::size_t>(got);
    }
    return copied;
}

}  // namespace pyautopsy::target
