#include "target/CoreNotes.h"
#include "target/ProcessFacts.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

using namespace pyautopsy::target;
using namespace pyautopsy::target::core_notes;

namespace {

template <typename T>
void put(std::vector<std::uint8_t>& bytes, std::size_t offset, T value)
{
    if (bytes.size() < offset + sizeof value) bytes.resize(offset + sizeof value);
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

void putString(std::vector<std::uint8_t>& bytes, std::size_t offset, const std::string& text)
{
    if (bytes.size() < offset + text.size()) bytes.resize(offset + text.size());
    std::memcpy(bytes.data() + offset, text.data(), text.size());
}

std::vector<std::uint8_t> prstatus(std::int32_t tid, std::int16_t cursig, std::uint64_t rip)
{
    std::vector<std::uint8_t> bytes(336);
    put<std::int32_t>(bytes, 0, SIGSEGV);
    put<std::int16_t>(bytes, 12, cursig);
    put<std::int32_t>(bytes, 32, tid);
    put<std::int32_t>(bytes, 36, 1);
    put<std::uint64_t>(bytes, 112 + 16 * 8, rip);       // pr_reg.rip is the 17th register
    put<std::uint64_t>(bytes, 112 + 19 * 8, 0x7ffc0000);  // rsp, the 20th
    put<std::int32_t>(bytes, 328, 1);
    return bytes;
}

}  // namespace

TEST(CoreNotes, PrStatusGivesTidSignalAndRegisters)
{
    auto status = parsePrStatus(prstatus(4242, SIGSEGV, 0x401000));
    ASSERT_TRUE(status);
    EXPECT_EQ(status->tid, 4242);
    EXPECT_EQ(status->ppid, 1);
    EXPECT_EQ(status->currentSignal, SIGSEGV);
    EXPECT_EQ(status->registers.rip, 0x401000u);
    EXPECT_EQ(status->registers.rsp, 0x7ffc0000u);
    EXPECT_TRUE(status->fpValid);
}

TEST(CoreNotes, TruncatedPrStatusIsRejected)
{
    auto bytes = prstatus(1, 0, 0);
    bytes.resize(335);
    EXPECT_FALSE(parsePrStatus(bytes));
    EXPECT_FALSE(parsePrStatus({}));
}

TEST(CoreNotes, PrPsInfoGivesPidNameAndArguments)
{
    std::vector<std::uint8_t> bytes(136);
    bytes[1] = 'R';
    put<std::uint64_t>(bytes, 8, 0x400640);   // a fork() child's task flags
    put<std::uint32_t>(bytes, 16, 1000);
    put<std::int32_t>(bytes, 24, 777);
    put<std::int32_t>(bytes, 28, 776);
    putString(bytes, 40, "python3.11");
    putString(bytes, 56, "python3.11 -c import os; os.abort() ");
    auto info = parsePrPsInfo(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, 'R');
    EXPECT_EQ(info->flags & kPfForkNoExec, kPfForkNoExec);
    EXPECT_EQ(info->uid, 1000u);
    EXPECT_EQ(info->pid, 777);
    EXPECT_EQ(info->ppid, 776);
    EXPECT_EQ(info->fileName, "python3.11");
    EXPECT_EQ(info->arguments, "python3.11 -c import os; os.abort()");
}

TEST(CoreNotes, PrPsInfoFieldsWithoutNulStayInBounds)
{
    std::vector<std::uint8_t> bytes(136, 'x');
    auto info = parsePrPsInfo(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->fileName.size(), 16u);
    EXPECT_EQ(info->arguments.size(), 80u);
    bytes.resize(100);
    EXPECT_FALSE(parsePrPsInfo(bytes));
}

TEST(CoreNotes, FileNoteGivesMappingsWithByteOffsets)
{
    std::vector<std::uint8_t> bytes;
    put<std::uint64_t>(bytes, 0, 2);       // count
    put<std::uint64_t>(bytes, 8, 4096);    // page size
    put<std::uint64_t>(bytes, 16, 0x400000);
    put<std::uint64_t>(bytes, 24, 0x401000);
    put<std::uint64_t>(bytes, 32, 0);
    put<std::uint64_t>(bytes, 40, 0x7f0000000000);
    put<std::uint64_t>(bytes, 48, 0x7f0000002000);
    put<std::uint64_t>(bytes, 56, 3);
    putString(bytes, 64, std::string("/usr/bin/python3.11\0/lib/libc.so.6\0", 35));
    auto note = parseFileNote(bytes);
    ASSERT_TRUE(note);
    EXPECT_FALSE(note->truncated);
    ASSERT_EQ(note->entries.size(), 2u);
    EXPECT_EQ(note->entries[0].path, "/usr/bin/python3.11");
    EXPECT_EQ(note->entries[1].path, "/lib/libc.so.6");
    EXPECT_EQ(note->entries[1].start, 0x7f0000000000u);
    EXPECT_EQ(note->entries[1].fileOffset, 3u * 4096);

    // The last name loses its NUL: the first entry survives, the note says it is cut.
    bytes.resize(bytes.size() - 1);
    note = parseFileNote(bytes);
    ASSERT_TRUE(note);
    EXPECT_TRUE(note->truncated);
    ASSERT_EQ(note->entries.size(), 1u);
    EXPECT_EQ(note->entries[0].path, "/usr/bin/python3.11");
}

TEST(CoreNotes, FileNoteWithAbsurdCountIsRejected)
{
    std::vector<std::uint8_t> bytes;
    put<std::uint64_t>(bytes, 0, ~std::uint64_t{0} / 8);
    put<std::uint64_t>(bytes, 8, 4096);
    put<std::uint64_t>(bytes, 16, 0);
    EXPECT_FALSE(parseFileNote(bytes));
    EXPECT_FALSE(parseFileNote(std::vector<std::uint8_t>(8)));
}

TEST(CoreNotes, AuxvGivesEntryPhdrAndExecFnUpToAtNull)
{
    std::vector<std::uint8_t> bytes;
    put<std::uint64_t>(bytes, 0, 3);   put<std::uint64_t>(bytes, 8, 0x400040);
    put<std::uint64_t>(bytes, 16, 9);  put<std::uint64_t>(bytes, 24, 0x41f000);
    put<std::uint64_t>(bytes, 32, 31); put<std::uint64_t>(bytes, 40, 0x7ffe0000);
    put<std::uint64_t>(bytes, 48, 0);  put<std::uint64_t>(bytes, 56, 0);
    put<std::uint64_t>(bytes, 64, 9);  put<std::uint64_t>(bytes, 72, 0xdead);  // after AT_NULL: ignored
    auto auxv = parseAuxv(bytes);
    EXPECT_EQ(auxv.phdr, 0x400040u);
    EXPECT_EQ(auxv.entry, 0x41f000u);
    EXPECT_EQ(auxv.execFn, 0x7ffe0000u);

    bytes.resize(20);  // a torn pair is dropped
    auxv = parseAuxv(bytes);
    EXPECT_EQ(auxv.phdr, 0x400040u);
    EXPECT_FALSE(auxv.entry);
}

TEST(CoreNotes, SigInfoOfAFaultCarriesTheAddress)
{
    std::vector<std::uint8_t> bytes(128);
    put<std::int32_t>(bytes, 0, SIGSEGV);
    put<std::int32_t>(bytes, 8, 1);  // SEGV_MAPERR
    put<std::uint64_t>(bytes, 16, 0x10);
    auto info = parseSigInfo(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->number, SIGSEGV);
    EXPECT_EQ(info->faultAddress, 0x10u);
    EXPECT_FALSE(info->senderPid);
}

TEST(CoreNotes, SigInfoOfAKillCarriesTheSender)
{
    std::vector<std::uint8_t> bytes(128);
    put<std::int32_t>(bytes, 0, SIGABRT);
    put<std::int32_t>(bytes, 8, -6);  // SI_TKILL
    put<std::int32_t>(bytes, 16, 1234);
    put<std::uint32_t>(bytes, 20, 1000);
    auto info = parseSigInfo(bytes);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->number, SIGABRT);
    EXPECT_EQ(info->code, -6);
    EXPECT_EQ(info->senderPid, 1234);
    EXPECT_EQ(info->senderUid, 1000);
    EXPECT_FALSE(info->faultAddress);
}

TEST(CoreNotes, SigInfoGarbageIsRejected)
{
    std::vector<std::uint8_t> bytes(128);
    put<std::int32_t>(bytes, 0, 9999);
    EXPECT_FALSE(parseSigInfo(bytes));
    EXPECT_FALSE(parseSigInfo(std::vector<std::uint8_t>(64)));
}
