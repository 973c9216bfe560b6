#include "unwind/DwarfRegisters.h"

#include <gtest/gtest.h>

namespace pyautopsy::unwind {
namespace {

// Every register gets a distinct value, so a swapped pair cannot pass.
target::Registers numbered()
{
    target::Registers r{};
    r.rax = 0xa0; r.rdx = 0xd0; r.rcx = 0xc0; r.rbx = 0xb0;
    r.rsi = 0x51; r.rdi = 0xd1; r.rbp = 0xbb; r.rsp = 0x5b;
    r.r8 = 8; r.r9 = 9; r.r10 = 10; r.r11 = 11;
    r.r12 = 12; r.r13 = 13; r.r14 = 14; r.r15 = 15;
    r.rip = 0x401000; r.orig_rax = 0xdead; r.eflags = 0x246; r.fs_base = 0x7f00;
    return r;
}

TEST(DwarfRegisters, FollowThePsAbiNumbering)
{
    const auto d = dwarfRegisters(numbered());
    EXPECT_EQ(d[0], 0xa0u);   // rax
    EXPECT_EQ(d[1], 0xd0u);   // rdx
    EXPECT_EQ(d[2], 0xc0u);   // rcx
    EXPECT_EQ(d[3], 0xb0u);   // rbx
    EXPECT_EQ(d[4], 0x51u);   // rsi
    EXPECT_EQ(d[5], 0xd1u);   // rdi
    EXPECT_EQ(d[6], 0xbbu);   // rbp
    EXPECT_EQ(d[7], 0x5bu);   // rsp
    for (unsigned i = 8; i <= 15; ++i) EXPECT_EQ(d[i], i) << "r" << i;
    EXPECT_EQ(d[16], 0x401000u);   // return address column = pc
}

TEST(DwarfRegisters, NamedColumnsAreTheStackPointerAndPc)
{
    const auto d = dwarfRegisters(numbered());
    EXPECT_EQ(d[kDwarfStackPointer], 0x5bu);
    EXPECT_EQ(d[kDwarfReturnAddress], 0x401000u);
    EXPECT_EQ(d.size(), kDwarfRegisterCount);
}

TEST(DwarfRegisters, NonDwarfRegistersAreLeftOut)
{
    const auto d = dwarfRegisters(numbered());
    for (std::uint64_t value : d) {
        EXPECT_NE(value, 0xdeadu);   // orig_rax
        EXPECT_NE(value, 0x246u);    // eflags
        EXPECT_NE(value, 0x7f00u);   // fs_base
    }
}

}  // namespace
}  // namespace pyautopsy::unwind
