// CoreNotes: parsers for the notes of an x86_64 Linux core file.
//
// Pure functions from a note's descriptor bytes to plain structs, so each can be
// tested on a few synthesized bytes. The layouts are the kernel's (and gdb's
// gcore, which writes the same ones). A descriptor too short for its layout
// yields std::nullopt; fields are never read past the end of the span.
#pragma once

#include "target/ProcessFacts.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pyautopsy::target::core_notes {

inline constexpr std::uint32_t kPrStatus = 1;   // NT_PRSTATUS
inline constexpr std::uint32_t kPrPsInfo = 3;   // NT_PRPSINFO
inline constexpr std::uint32_t kAuxv = 6;       // NT_AUXV
inline constexpr std::uint32_t kSigInfo = 0x53494749;  // NT_SIGINFO ("SIGI")
inline constexpr std::uint32_t kFile = 0x46494c45;     // NT_FILE ("FILE")

// NT_PRSTATUS: one per thread; the first is the thread that took the signal.
struct PrStatus {
    int signal = 0;          // pr_info.si_signo
    int code = 0;
    int errnoValue = 0;
    int currentSignal = 0;   // pr_cursig
    std::int32_t tid = 0;    // pr_pid
    std::int32_t ppid = 0, pgrp = 0, sid = 0;
    Registers registers{};
    bool fpValid = false;
};
std::optional<PrStatus> parsePrStatus(std::span<const std::uint8_t> desc);

// NT_PRPSINFO: the process as `ps` would show it.
struct PrPsInfo {
    char state = 0;          // pr_sname, e.g. 'R', 'S', 'D'
    std::uint64_t flags = 0; // pr_flag: the task's PF_* flags
    std::uint32_t uid = 0, gid = 0;
    std::int32_t pid = 0, ppid = 0, pgrp = 0, sid = 0;
    std::string fileName;    // pr_fname: the leader's comm (16 bytes max)
    std::string arguments;   // pr_psargs: the command line, cut at 80 bytes
};
std::optional<PrPsInfo> parsePrPsInfo(std::span<const std::uint8_t> desc);

// NT_FILE: the file-backed mappings, with byte (not page) offsets.
struct FileNoteEntry {
    std::uint64_t start = 0, end = 0, fileOffset = 0;
    std::string path;
};
struct FileNote {
    std::vector<FileNoteEntry> entries;
    bool truncated = false;  // fewer names than entries: the tail was dropped
};
std::optional<FileNote> parseFileNote(std::span<const std::uint8_t> desc);

// NT_AUXV: the few entries we use.
struct AuxvFacts {
    std::optional<std::uint64_t> entry;    // AT_ENTRY
    std::optional<std::uint64_t> phdr;     // AT_PHDR
    std::optional<std::uint64_t> execFn;   // AT_EXECFN: address of the exec'd path in target memory
};
AuxvFacts parseAuxv(std::span<const std::uint8_t> desc);

// NT_SIGINFO: the siginfo_t the process was killed with.
std::optional<SignalInfo> parseSigInfo(std::span<const std::uint8_t> desc);

}  // namespace pyautopsy::target::core_notes
