// Memory: typed, bounded reads of target memory.
//
// Walkers read target memory through this class only. A read that cannot be
// satisfied in full throws MemoryFault, which a walker catches at the boundary
// of the thing it was building (a frame, a thread) and records as a note; a
// corrupt target therefore ends one walk early instead of ending the program.
#pragma once

#include "target/Target.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pyautopsy::target {

class MemoryFault : public std::exception {
public:
    MemoryFault(std::uint64_t address, std::size_t size);
    // The same fault, explained otherwise (a field the layout does not have).
    MemoryFault(std::uint64_t address, std::size_t size, std::string message)
        : m_address(address), m_size(size), m_message(std::move(message))
    {
    }
    std::uint64_t address() const noexcept { return m_address; }
    std::size_t size() const noexcept { return m_size; }
    const char* what() const noexcept override { return m_message.c_str(); }

private:
    std::uint64_t m_address;
    std::size_t m_size;
    std::string m_message;
};

class Memory {
public:
    explicit Memory(Target& target) : m_target(target) {}

    Target& target() const { return m_target; }

    // Reads exactly `size` bytes or throws MemoryFault.
    void readBytes(std::uint64_t address, void* out, std::size_t size) const;

    // Reads as many bytes as are readable from the start; never throws.
    std::size_t readSome(std::uint64_t address, void* out, std::size_t size) const
    {
        return m_target.read(address, out, size);
    }

    template <typename T>
    T read(std::uint64_t address) const
    {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        readBytes(address, &value, sizeof(T));
        return value;
    }

    std::uint64_t readPointer(std::uint64_t address) const { return read<std::uint64_t>(address); }

    bool isReadable(std::uint64_t address, std::size_t size = 1) const;

    // A NUL-terminated string of at most maxBytes bytes (without the NUL).
    // Returns what was read up to the limit or the first unreadable byte.
    std::string readCString(std::uint64_t address, std::size_t maxBytes) const;

    std::vector<std::uint8_t> readBlock(std::uint64_t address, std::size_t size) const;

private:
    Target& m_target;
};

}  // namespace pyautopsy::target
