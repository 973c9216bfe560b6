#include "target/Memory.h"

#include <fmt/format.h>

namespace pyautopsy::target {

MemoryFault::MemoryFault(std::uint64_t address, std::size_t size)
    : m_address(address), m_size(size),
      m_message(fmt::format("cannot read {} bytes at {:#x}", size, address))
{
}

void Memory::readBytes(std::uint64_t address, void* out, std::size_t size) const
{
    if (size == 0) return;
    if (m_target.read(address, out, size) != size) throw MemoryFault(address, size);
}

bool Memory::isReadable(std::uint64_t address, std::size_t size) const
{
    std::uint8_t probe[64];
    while (size > 0) {
        std::size_t chunk = size < sizeof probe ? size : sizeof probe;
        if (m_target.read(address, probe, chunk) != chunk) return false;
        address += chunk;
        size -= chunk;
    }
    return true;
}

std::string Memory::readCString(std::uint64_t address, std::size_t maxBytes) const
{
    std::string result;
    char chunk[256];
    while (result.size() < maxBytes) {
        std::size_t want = std::min(sizeof chunk, maxBytes - result.size());
        std::size_t got = m_target.read(address + result.size(), chunk, want);
        if (got == 0 && want > 1) {
            // The string may end just before an unmapped page: retry byte by byte.
            got = m_target.read(address + result.size(), chunk, 1);
        }
        if (got == 0) break;
        const void* nul = std::memchr(chunk, 0, got);
        if (nul != nullptr) {
            result.append(chunk, static_cast<const char*>(nul) - chunk);
            return result;
        }
        result.append(chunk, got);
    }
    return result;
}

std::vector<std::uint8_t> Memory::readBlock(std::uint64_t address, std::size_t size) const
{
    std::vector<std::uint8_t> block(size);
    readBytes(address, block.data(), size);
    return block;
}

}  // namespace pyautopsy::target
