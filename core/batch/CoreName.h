// CoreName: what a file's name says about the core it may hold.
//
// Recognised names, each optionally followed by a compression suffix
// (.zst, .lz4, .xz, .gz):
//   core                                   kernel default, core_uses_pid = 0
//   core.PID                               core_uses_pid = 1, or core_pattern core.%p
//   NAME.PID.core                          a common core_pattern (%e.%p.core)
//   core.COMM.UID.BOOTID.PID.TIME          systemd-coredump (COMM may contain dots;
//                                          BOOTID is 32 hex digits, TIME in microseconds)
// Pure string parsing: the content decides whether the file is a core
// (CoreProbe.h); the name only adds the pid to cross-check and the compression.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pyautopsy::batch {

enum class Compression { None, Zstd, Lz4, Xz, Gzip };
const char* compressionName(Compression compression);  // "", "zstd", "lz4", "xz", "gzip"

enum class NameStyle { NotACoreName, Plain, CorePid, NamePidCore, Systemd };

struct CoreName {
    NameStyle style = NameStyle::NotACoreName;
    std::optional<int> pid;
    std::string command;                    // NAME or COMM, when the name carries one
    Compression compression = Compression::None;  // from the suffix only
};

// `fileName` is a base name (no directories).
CoreName parseCoreName(std::string_view fileName);

}  // namespace pyautopsy::batch
