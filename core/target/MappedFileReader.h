// MappedFileReader: reads bytes of files on disk by path, keeping each file
// open after its first use.
//
// A core file omits the pages of read-only file mappings; CoreFileTarget fills
// them from the files themselves through this class. A file that cannot be
// opened is remembered as such, so a missing library costs one open() per run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace pyautopsy::target {

class MappedFileReader {
public:
    MappedFileReader() = default;
    ~MappedFileReader();
    MappedFileReader(const MappedFileReader&) = delete;
    MappedFileReader& operator=(const MappedFileReader&) = delete;

    // Copies up to `size` bytes at `offset` of `path`; returns the count copied.
    std::size_t read(const std::string& path, std::uint64_t offset, void* out, std::size_t size);

private:
    std::unordered_map<std::string, int> m_fds;  // -1: could not be opened
};

}  // namespace pyautopsy::target
