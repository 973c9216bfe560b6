// ExceptionTable: the handler that covers an instruction, from a 3.11+ code
// object's co_exceptiontable.
//
// Each entry is four varints: start, length and target in code units, then
// depth << 1 | lasti. A varint is 6-bit groups, most significant first, with
// 0x40 meaning "another group follows"; the first byte of every entry also
// has 0x80 set. Ranges do not overlap: each instruction maps to the innermost
// handler around it, and `depth` is the value-stack depth that handler
// restores -- so the `depth` slots at the bottom of the stack are live values
// whenever that instruction runs (a with-block's __exit__ is among them).
//
// The bytes are target memory and therefore input: decoding never reads
// outside them and stops at the first malformed entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pyautopsy::runtime {

struct ExceptionHandler {
    std::uint32_t start = 0;    // first code unit covered
    std::uint32_t end = 0;      // one past the last code unit covered
    std::uint32_t target = 0;   // code unit of the handler
    std::uint32_t depth = 0;    // value-stack depth the handler restores
    bool lasti = false;         // the handler also gets the raising instruction's offset
};

// The handler covering code unit `codeUnit`, or nullopt if none (or the table
// is malformed before reaching it).
std::optional<ExceptionHandler> handlerAt(std::span<const std::uint8_t> table, std::uint32_t codeUnit);

// Every entry, in order; nullopt if the table is malformed or has more than
// `maxEntries` entries.
std::optional<std::vector<ExceptionHandler>> allHandlers(std::span<const std::uint8_t> table,
                                                         std::size_t maxEntries);

}  // namespace pyautopsy::runtime
