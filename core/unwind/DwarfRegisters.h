// DwarfRegisters: x86_64 thread registers in the order DWARF numbers them.
//
// The kernel's user_regs_struct (target::Registers) and the x86_64 psABI's
// DWARF register numbers order the same registers differently: DWARF 0-7 are
// rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, 8-15 are r8-r15 and 16 is the return
// address column, which holds the pc of the innermost frame. libdw's unwinder
// takes registers in DWARF order, so this is the one place that maps them.
#pragma once

#include "target/ProcessFacts.h"

#include <array>
#include <cstdint>

namespace pyautopsy::unwind {

inline constexpr unsigned kDwarfRegisterCount = 17;   // rax..r15 and the return address (rip)
inline constexpr unsigned kDwarfStackPointer = 7;
inline constexpr unsigned kDwarfReturnAddress = 16;

std::array<std::uint64_t, kDwarfRegisterCount> dwarfRegisters(const target::Registers& regs);

}  // namespace pyautopsy::unwind
