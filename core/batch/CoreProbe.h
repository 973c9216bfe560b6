// CoreProbe: is this file an ELF core, and whose? Without opening it as a target.
//
// Reads only the ELF header, the program headers and the PT_NOTE segments
// (pread, bounded), so it is cheap enough to run on every file a directory
// walk finds and safe on truncated files: what cannot be read is a `problem`,
// never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace pyautopsy::batch {

// True when `head` (the first 18+ bytes of a file) is an ELF header of type ET_CORE.
bool isElfCoreHeader(std::span<const std::uint8_t> head);

struct CoreProbe {
    bool elfCore = false;             // ELF magic and e_type == ET_CORE
    std::optional<int> pid, ppid;     // NT_PRPSINFO
    std::optional<int> pgrp;          // process group: survives reparenting
    std::string command;              // pr_fname
    std::uint64_t fileBytes = 0;      // the file's size
    std::uint64_t expectedBytes = 0;  // where its last segment ends, per the program headers
    bool corruptHeaders = false;      // a segment beyond any plausible file size (garbage, not truncation)
    bool truncated() const { return elfCore && !corruptHeaders && expectedBytes > fileBytes; }
    std::string problem;              // why the notes could not be read, when they could not
};

CoreProbe probeCore(const std::string& path);

}  // namespace pyautopsy::batch
