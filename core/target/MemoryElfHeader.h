// MemoryElfHeader: the ELF header, load base and build-id of a module as the
// target's memory holds them.
//
// A core usually keeps each module's first page (coredump_filter bit 4), and a
// live process always has it, so this is how ModuleIndex learns a module's load
// bias and its build-id without trusting the file on disk. Every length read
// from target memory is bounded; garbage yields std::nullopt.
#pragma once

#include "target/Target.h"

#include <cstdint>
#include <optional>
#include <string>

namespace pyautopsy::target {

struct MemoryElfHeader {
    std::uint16_t type = 0;                 // e_type: ET_EXEC, ET_DYN
    std::uint64_t firstLoadVaddr = 0;       // page-aligned p_vaddr of the PT_LOAD at offset 0
    std::optional<std::string> buildId;     // from the PT_NOTE segments, lowercase hex
};

// `base` is the module's lowest mapping with file offset 0.
std::optional<MemoryElfHeader> readMemoryElfHeader(Target& target, std::uint64_t base);

}  // namespace pyautopsy::target
