#include "unwind/DwarfRegisters.h"

namespace pyautopsy::unwind {

std::array<std::uint64_t, kDwarfRegisterCount> dwarfRegisters(const target::Registers& r)
{
    // Index = DWARF register number (System V x86_64 psABI, figure 3.36).
    return {r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp,
            r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
            r.rip};
}

}  // namespace pyautopsy::unwind
