// FuzzSupport: what the fuzz targets share.
//
// ByteReader cuts a fuzzer input into the values a target needs (a selector,
// a few integers, the rest as bytes) without ever reading past its end.
// MemoryImageTarget is a Target whose memory is a few byte blocks at fixed
// addresses, so decoders of target memory run on fuzzer bytes. InputFile
// gives bytes a path (a memfd), for parsers that open files by name.
#pragma once

#include "target/Target.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace pyautopsy::fuzz {

class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> data) : m_data(data) {}

    template <typename T>
    T take()
    {
        T value{};
        const std::size_t n = std::min(sizeof(T), m_data.size());
        std::memcpy(&value, m_data.data(), n);
        m_data = m_data.subspan(n);
        return value;
    }
    std::span<const std::uint8_t> takeBytes(std::size_t count)
    {
        const std::size_t n = std::min(count, m_data.size());
        auto bytes = m_data.first(n);
        m_data = m_data.subspan(n);
        return bytes;
    }
    std::span<const std::uint8_t> rest() const { return m_data; }
    bool empty() const { return m_data.empty(); }

private:
    std::span<const std::uint8_t> m_data;
};

// Memory made of blocks that do not overlap; everything else is unmapped.
class MemoryImageTarget : public target::Target {
public:
    void addBlock(std::uint64_t address, std::vector<std::uint8_t> bytes) { m_blocks[address] = std::move(bytes); }

    std::string_view kind() const override { return "core"; }
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override
    {
        auto* dest = static_cast<std::uint8_t*>(out);
        std::size_t copied = 0;
        while (copied < size) {
            const std::uint64_t at = address + copied;
            if (at < address) break;
            auto it = m_blocks.upper_bound(at);
            if (it == m_blocks.begin()) break;
            --it;
            const std::uint64_t within = at - it->first;
            if (within >= it->second.size()) break;
            const std::size_t n = std::min<std::size_t>(size - copied, it->second.size() - within);
            std::memcpy(dest + copied, it->second.data() + within, n);
            copied += n;
        }
        return copied;
    }
    const target::ProcessInfo& process() const override { return m_process; }
    const std::vector<target::ThreadInfo>& threads() const override { return m_threads; }
    const std::vector<target::Mapping>& mappings() const override { return m_mappings; }

private:
    std::map<std::uint64_t, std::vector<std::uint8_t>> m_blocks;
    target::ProcessInfo m_process;
    std::vector<target::ThreadInfo> m_threads;
    std::vector<target::Mapping> m_mappings;
};

// The bytes as a file: an anonymous memfd, named by its /proc/self/fd path.
class InputFile {
public:
    explicit InputFile(std::span<const std::uint8_t> bytes);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    const std::string& path() const { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

}  // namespace pyautopsy::fuzz
