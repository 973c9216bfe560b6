// NativeUnwinder: a thread's native call stack, unwound from its registers.
//
// Uses elfutils' libdwfl over our own Target: every module of the
// target::ModuleIndex is reported by its address range, and its on-disk file
// is opened (through ModuleIndex) only when the walk first needs that
// module's CFI; memory is read through Target::read(), and the first frame's
// registers are the thread's (NT_PRSTATUS in a core, PTRACE_GETREGS in a
// stopped process).
// Frames are found from the modules' call-frame information (.eh_frame, which
// even stripped executables keep, then .debug_frame), never from DWARF debug
// info, and named from .symtab/.dynsym through ModuleIndex::symbolize.
//
// Target memory is input: the walk ends at Limits::maxNativeFrames, when the
// CFI has no rule for a pc, or when the stack pointer stops growing toward
// the stack's base (a loop or garbage); each early end leaves a note. This
// layer knows nothing about CPython.
#pragma once

#include "support/Limits.h"
#include "target/ModuleIndex.h"
#include "target/Target.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::unwind {

struct NativeFrame {
    std::uint64_t pc = 0;
    std::uint64_t sp = 0;
    bool exact = false;                       // pc is the current instruction (innermost or
                                              // interrupted frame), not a return address
    std::string function;                     // covering symbol; empty when none is known
    std::optional<std::uint64_t> symbolOffset;  // pc - symbol start, when `function` is known
    std::string module;                       // path of the module mapped at pc, empty if none
};

struct NativeStack {
    bool available = false;                   // false when the thread's registers are unknown
    std::vector<NativeFrame> frames;          // innermost first
    std::vector<std::string> notes;           // why the walk could not start or ended early
};

class NativeUnwinder {
public:
    // Keeps references to `target` and `modules`; both must outlive the unwinder.
    // The libdwfl session is set up lazily, on the first unwind().
    NativeUnwinder(target::Target& target, const target::ModuleIndex& modules, const Limits& limits);
    ~NativeUnwinder();
    NativeUnwinder(const NativeUnwinder&) = delete;
    NativeUnwinder& operator=(const NativeUnwinder&) = delete;

    // Never throws for bad target data; problems become notes.
    NativeStack unwind(const target::ThreadInfo& thread);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pyautopsy::unwind
