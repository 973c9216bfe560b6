// Decompress: a compressed core into a plain file the core reader can mmap.
//
// Streaming with fixed buffers (memory stays ~1 MiB whatever the core's size),
// through the formats' own libraries: libzstd, liblz4 (frame format, as the
// lz4 tool writes), liblzma (.xz) and zlib (gzip). Blocks of zeros are not
// written but skipped with lseek, so a sparse core stays sparse on disk.
// Output beyond `maxBytes` aborts the decompression: a core is bounded input.
#pragma once

#include "batch/CoreName.h"

#include <cstdint>
#include <span>
#include <string>

namespace pyautopsy::batch {

// The format announced by a file's first bytes (at least 6 are needed), or None.
Compression sniffCompression(std::span<const std::uint8_t> head);

// Decompresses `source` into `destination` (created, 0600). Throws
// pyautopsy::Error(BadInput) on corrupt or truncated input or when the output
// would exceed maxBytes; `destination` may then hold a partial file, which
// the caller deletes.
void decompressFile(const std::string& source, Compression compression, const std::string& destination,
                    std::uint64_t maxBytes);

}  // namespace pyautopsy::batch
