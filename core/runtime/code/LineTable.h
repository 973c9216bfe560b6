// LineTable: the source line of a bytecode offset, from a code object's line table.
//
// The bytes are the raw table as read from the target: co_lnotab on 3.8/3.9,
// co_linetable on 3.10+. The answer is what PyCode_Addr2Line would return in
// the target, i.e. the f_lineno the user sees for that instruction.
//
// Table bytes are target memory and therefore input: the decoders never read
// outside `table`, every loop advances through it, and malformed data (a
// truncated or over-long varint, an entry that does not start with bit 7 on
// 3.11+, a line number that leaves `int`) ends decoding with "no line".
//
// The caller's job: computing the byte offset of the current instruction,
// which moved around between versions (docs/cpython-internals.md §4.5):
//   3.8, 3.9    frame->f_lasti                     (already in bytes)
//   3.10        2 * frame->f_lasti                 (f_lasti counts code units)
//   3.11, 3.12  2 * ((prev_instr - base) / 2)      (base = code + co_code_adaptive)
//   3.13+       instr_ptr - base
// A frame that has not started yet yields a negative offset on 3.8–3.12
// (f_lasti == -1, prev_instr == base - 2); CPython then reports
// co_firstlineno. lineForLasti() applies that rule; use it for frames.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace pyautopsy::runtime {

enum class LineTableFormat {
    Lnotab38,      // 3.8–3.9 co_lnotab: (address delta, signed line delta) byte pairs
    Linetable310,  // 3.10 co_linetable: (range length, signed line delta or -128) byte pairs
    Locations311,  // 3.11+ co_linetable: location entries (Objects/locations.md)
};

// The table format a CPython major.minor uses: nullopt before 3.8 (and for
// any major but 3); every minor from 3.11 on uses Locations311.
std::optional<LineTableFormat> lineTableFormatFor(int major, int minor);

// The line for the instruction at `byteOffset` (a byte offset into the
// bytecode, as PyCode_Addr2Line takes it), or nullopt when the table says
// "no line" there, the offset lies outside every range, or the table is
// malformed before reaching it. Lnotab38 has no notion of "outside": like
// CPython it answers co_firstlineno below the first step and the last line
// after the end.
std::optional<int> lineForOffset(LineTableFormat format, std::span<const std::uint8_t> table,
                                 int firstLineNo, int byteOffset);

// The line a frame reports (frame.f_lineno outside tracing) for a byte offset
// computed as above: firstLineNo for a negative offset (frame not started),
// otherwise lineForOffset().
std::optional<int> lineForLasti(LineTableFormat format, std::span<const std::uint8_t> table,
                                int firstLineNo, int byteOffset);

}  // namespace pyautopsy::runtime
