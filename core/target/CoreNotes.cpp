#include "target/CoreNotes.h"

#include <csignal>
#include <cstddef>
#include <cstring>

namespace pyautopsy::target::core_notes {

namespace {

// The kernel's x86_64 layouts, written out with fixed-width types so their
// sizes do not depend on this machine's headers.
struct Timeval { std::int64_t sec, usec; };

struct RawPrStatus {
    std::int32_t si_signo, si_code, si_errno;
    std::int16_t pr_cursig;
    std::uint64_t pr_sigpend, pr_sighold;
    std::int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
    Timeval pr_utime, pr_stime, pr_cutime, pr_cstime;
    Registers pr_reg;
    std::int32_t pr_fpvalid;
};
static_assert(offsetof(RawPrStatus, pr_sigpend) == 16);
static_assert(offsetof(RawPrStatus, pr_pid) == 32);
static_assert(offsetof(RawPrStatus, pr_reg) == 112);
static_assert(offsetof(RawPrStatus, pr_fpvalid) == 328);
static_assert(sizeof(RawPrStatus) == 336, "struct elf_prstatus on x86_64");

struct RawPrPsInfo {
    char pr_state, pr_sname, pr_zomb, pr_nice;
    std::uint64_t pr_flag;
    std::uint32_t pr_uid, pr_gid;
    std::int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
    char pr_fname[16];
    char pr_psargs[80];
};
static_assert(offsetof(RawPrPsInfo, pr_uid) == 16);
static_assert(offsetof(RawPrPsInfo, pr_fname) == 40);
static_assert(sizeof(RawPrPsInfo) == 136, "struct elf_prpsinfo on x86_64");

constexpr std::size_t kSigInfoSize = 128;
constexpr std::size_t kSigInfoUnionOffset = 16;

constexpr std::uint64_t kAtNull = 0, kAtPhdr = 3, kAtEntry = 9, kAtExecFn = 31;

template <typename T>
std::optional<T> copyOut(std::span<const std::uint8_t> desc)
{
    if (desc.size() < sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, desc.data(), sizeof(T));
    return value;
}

template <typename T>
T at(std::span<const std::uint8_t> bytes, std::size_t offset)
{
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// A fixed-size char field: up to its first NUL, trailing blanks removed.
std::string fixedString(const char* field, std::size_t size)
{
    std::string text(field, strnlen(field, size));
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

}  // namespace

std::optional<PrStatus> parsePrStatus(std::span<const std::uint8_t> desc)
{
    auto raw = copyOut<RawPrStatus>(desc);
    if (!raw) return std::nullopt;
    PrStatus status;
    status.signal = raw->si_signo;
    status.code = raw->si_code;
    status.errnoValue = raw->si_errno;
    status.currentSignal = raw->pr_cursig;
    status.tid = raw->pr_pid;
    status.ppid = raw->pr_ppid;
    status.pgrp = raw->pr_pgrp;
    status.sid = raw->pr_sid;
    status.registers = raw->pr_reg;
    status.fpValid = raw->pr_fpvalid != 0;
    return status;
}

std::optional<PrPsInfo> parsePrPsInfo(std::span<const std::uint8_t> desc)
{
    auto raw = copyOut<RawPrPsInfo>(desc);
    if (!raw) return std::nullopt;
    PrPsInfo info;
    info.state = raw->pr_sname;
    info.flags = raw->pr_flag;
    info.uid = raw->pr_uid;
    info.gid = raw->pr_gid;
    info.pid = raw->pr_pid;
    info.ppid = raw->pr_ppid;
    info.pgrp = raw->pr_pgrp;
    info.sid = raw->pr_sid;
    info.fileName = fixedString(raw->pr_fname, sizeof raw->pr_fname);
    info.arguments = fixedString(raw->pr_psargs, sizeof raw->pr_psargs);
    return info;
}

std::optional<FileNote> parseFileNote(std::span<const std::uint8_t> desc)
{
    if (desc.size() < 16) return std::nullopt;
    const auto count = at<std::uint64_t>(desc, 0);
    const auto pageSize = at<std::uint64_t>(desc, 8);
    // Each entry takes 24 bytes plus at least a NUL for its name.
    if (count > (desc.size() - 16) / 25) return std::nullopt;

    FileNote note;
    std::size_t namePos = 16 + count * 24;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::size_t entryPos = 16 + i * 24;
        const void* nul = namePos < desc.size()
                              ? std::memchr(desc.data() + namePos, 0, desc.size() - namePos)
                              : nullptr;
        if (nul == nullptr) {
            note.truncated = true;
            break;
        }
        const auto* name = reinterpret_cast<const char*>(desc.data() + namePos);
        const auto length = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - (desc.data() + namePos));
        FileNoteEntry entry;
        entry.start = at<std::uint64_t>(desc, entryPos);
        entry.end = at<std::uint64_t>(desc, entryPos + 8);
        entry.fileOffset = at<std::uint64_t>(desc, entryPos + 16) * pageSize;
        entry.path.assign(name, length);
        namePos += length + 1;
        if (entry.end > entry.start) note.entries.push_back(std::move(entry));
    }
    return note;
}

AuxvFacts parseAuxv(std::span<const std::uint8_t> desc)
{
    AuxvFacts facts;
    for (std::size_t pos = 0; desc.size() - pos >= 16; pos += 16) {
        const auto key = at<std::uint64_t>(desc, pos);
        const auto value = at<std::uint64_t>(desc, pos + 8);
        if (key == kAtNull) break;
        if (key == kAtEntry) facts.entry = value;
        else if (key == kAtPhdr) facts.phdr = value;
        else if (key == kAtExecFn) facts.execFn = value;
    }
    return facts;
}

std::optional<SignalInfo> parseSigInfo(std::span<const std::uint8_t> desc)
{
    if (desc.size() < kSigInfoSize) return std::nullopt;
    SignalInfo info;
    info.number = at<std::int32_t>(desc, 0);
    info.errnoValue = at<std::int32_t>(desc, 4);
    info.code = at<std::int32_t>(desc, 8);
    if (info.number <= 0 || info.number >= 65) return std::nullopt;

    // si_code > 0 means the kernel raised it (a fault carries an address);
    // si_code <= 0 (SI_USER, SI_QUEUE, SI_TKILL) means kill()/tgkill() did.
    const bool faultSignal = info.number == SIGSEGV || info.number == SIGBUS || info.number == SIGILL
                             || info.number == SIGFPE || info.number == SIGTRAP;
    if (info.code > 0 && faultSignal) {
        info.faultAddress = at<std::uint64_t>(desc, kSigInfoUnionOffset);
    } else if (info.code <= 0) {
        info.senderPid = at<std::int32_t>(desc, kSigInfoUnionOffset);
        info.senderUid = static_cast<int>(at<std::uint32_t>(desc, kSigInfoUnionOffset + 4));
    }
    return info;
}

}  // namespace pyautopsy::target::core_notes
