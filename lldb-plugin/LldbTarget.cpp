#include "LldbTarget.h"

#include "support/Error.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

namespace pyautopsy::lldbplugin {
namespace {

constexpr std::uint64_t kPageSize = 0x1000;
constexpr std::uint64_t kPageMask = ~(kPageSize - 1);
// LLDB's own numbers: not guaranteed to be small, so bound the loops over them.
constexpr std::uint32_t kMaxThreads = 1 << 16;
constexpr std::uint32_t kMaxModules = 1 << 14;
constexpr std::uint32_t kMaxSections = 1 << 10;
constexpr std::uint32_t kMaxRegions = 1 << 20;

std::string pathOf(const lldb::SBFileSpec& spec)
{
    if (!spec.IsValid()) return {};
    char buffer[4096];
    std::uint32_t length = spec.GetPath(buffer, sizeof buffer);
    if (length == 0 || length >= sizeof buffer) return {};
    return std::string(buffer, length);
}

bool startsWith(const char* text, std::string_view prefix)
{
    return text != nullptr && std::string_view(text).substr(0, prefix.size()) == prefix;
}

struct RegisterSlot {
    const char* name;
    std::uint64_t target::Registers::*field;
};

// LLDB's x86_64 GPR names for the fields of user_regs_struct it provides.
constexpr RegisterSlot kRegisterSlots[] = {
    {"r15", &target::Registers::r15},       {"r14", &target::Registers::r14},
    {"r13", &target::Registers::r13},       {"r12", &target::Registers::r12},
    {"rbp", &target::Registers::rbp},       {"rbx", &target::Registers::rbx},
    {"r11", &target::Registers::r11},       {"r10", &target::Registers::r10},
    {"r9", &target::Registers::r9},         {"r8", &target::Registers::r8},
    {"rax", &target::Registers::rax},       {"rcx", &target::Registers::rcx},
    {"rdx", &target::Registers::rdx},       {"rsi", &target::Registers::rsi},
    {"rdi", &target::Registers::rdi},       {"rip", &target::Registers::rip},
    {"cs", &target::Registers::cs},         {"rflags", &target::Registers::eflags},
    {"rsp", &target::Registers::rsp},       {"ss", &target::Registers::ss},
    {"fs_base", &target::Registers::fs_base}, {"gs_base", &target::Registers::gs_base},
    {"ds", &target::Registers::ds},         {"es", &target::Registers::es},
    {"fs", &target::Registers::fs},         {"gs", &target::Registers::gs},
    {"orig_rax", &target::Registers::orig_rax},
};

// The frame-0 general purpose registers, or nothing when LLDB has none (a
// thread without a register context, a non-x86_64 target).
std::optional<target::Registers> readRegisters(lldb::SBThread& thread)
{
    lldb::SBFrame frame = thread.GetFrameAtIndex(0);
    if (!frame.IsValid()) return std::nullopt;
    lldb::SBValueList sets = frame.GetRegisters();
    for (std::uint32_t i = 0; i < sets.GetSize(); ++i) {
        lldb::SBValue set = sets.GetValueAtIndex(i);
        if (!startsWith(set.GetName(), "General Purpose Registers")) continue;
        target::Registers regs{};
        // orig_rax says which system call a thread is in (0 is `read`): when
        // LLDB does not give it, it must read as "none known", never as 0.
        regs.orig_rax = ~std::uint64_t{0};
        bool haveRip = false;
        bool haveRsp = false;
        const std::uint32_t count = std::min<std::uint32_t>(set.GetNumChildren(), 256);
        for (std::uint32_t r = 0; r < count; ++r) {
            lldb::SBValue value = set.GetChildAtIndex(r);
            const char* name = value.GetName();
            if (name == nullptr) continue;
            for (const auto& slot : kRegisterSlots) {
                if (std::strcmp(slot.name, name) != 0) continue;
                lldb::SBError error;
                std::uint64_t v = value.GetValueAsUnsigned(error, 0);
                if (error.Fail()) break;
                regs.*slot.field = v;
                haveRip = haveRip || slot.field == &target::Registers::rip;
                haveRsp = haveRsp || slot.field == &target::Registers::rsp;
                break;
            }
        }
        if (haveRip && haveRsp) return regs;
        return std::nullopt;
    }
    return std::nullopt;
}

// The signal a thread stopped with, when it stopped because of one (0 = none).
int stopSignal(lldb::SBThread& thread)
{
    if (thread.GetStopReason() != lldb::eStopReasonSignal || thread.GetStopReasonDataCount() < 1) return 0;
    return static_cast<int>(thread.GetStopReasonDataAtIndex(0));
}

}  // namespace

void LldbTarget::requireStoppedProcess(lldb::SBTarget target)
{
    if (!target.IsValid()) throw Error(ErrorKind::Usage, "no target: use `target create` or `process attach` first");
    lldb::SBProcess process = target.GetProcess();
    if (!process.IsValid())
        throw Error(ErrorKind::Usage,
                    "no process: attach (process attach --pid PID), launch (run), or load a core "
                    "(target create EXE --core CORE) first");
    const lldb::StateType state = process.GetState();
    if (state == lldb::eStateRunning || state == lldb::eStateStepping || state == lldb::eStateLaunching ||
        state == lldb::eStateAttaching)
        throw Error(ErrorKind::Usage, "the process is running: stop it first (process interrupt)");
    if (state != lldb::eStateStopped && state != lldb::eStateCrashed && state != lldb::eStateSuspended)
        throw Error(ErrorKind::Usage, "the process is not alive: there is no memory to read");
}

LldbTarget::LldbTarget(lldb::SBTarget target) : m_target(target), m_process(target.GetProcess())
{
    requireStoppedProcess(target);
    const char* plugin = m_process.GetPluginName();
    m_isCore = plugin != nullptr && std::string_view(plugin).find("core") != std::string_view::npos;
    if (m_isCore) m_corePath = pathOf(m_process.GetCoreFile());

    readProcessFacts();
    readThreads();
    readMappings();
}

void LldbTarget::readProcessFacts()
{
    const lldb::pid_t pid = m_process.GetProcessID();
    if (pid != LLDB_INVALID_PROCESS_ID && pid != 0) m_info.pid = static_cast<int>(pid);
    m_info.executable = pathOf(m_target.GetExecutable());
    if (!m_isCore) {
        lldb::SBProcessInfo info = m_process.GetProcessInfo();
        const lldb::pid_t ppid = info.IsValid() ? info.GetParentProcessID() : LLDB_INVALID_PROCESS_ID;
        if (ppid != LLDB_INVALID_PROCESS_ID && ppid != 0) m_info.ppid = static_cast<int>(ppid);
    }
}

void LldbTarget::readThreads()
{
    const std::uint32_t count = std::min(m_process.GetNumThreads(), kMaxThreads);
    for (std::uint32_t i = 0; i < count; ++i) {
        lldb::SBThread thread = m_process.GetThreadAtIndex(i);
        if (!thread.IsValid()) continue;
        target::ThreadInfo info;
        info.tid = static_cast<std::int32_t>(thread.GetThreadID());
        if (const char* name = thread.GetName()) info.name = name;
        info.registers = readRegisters(thread);
        // Only a core's stop reasons say how the process died; a live process's
        // say why the debugger stopped it (SIGSTOP on attach, a breakpoint).
        if (m_isCore) {
            if (int signal = stopSignal(thread); signal != 0) {
                info.pendingSignal = signal;
                if (!m_info.signal) {
                    target::SignalInfo facts;
                    facts.number = signal;
                    m_info.signal = facts;
                    m_info.crashedTid = info.tid;
                }
            }
        }
        m_threads.push_back(std::move(info));
    }
}

void LldbTarget::readMappings()
{
    std::vector<target::Mapping> modules;
    const std::uint32_t moduleCount = std::min(m_target.GetNumModules(), kMaxModules);
    for (std::uint32_t m = 0; m < moduleCount; ++m) {
        lldb::SBModule module = m_target.GetModuleAtIndex(m);
        if (!module.IsValid()) continue;
        const std::string local = pathOf(module.GetFileSpec());
        std::string path = pathOf(module.GetPlatformFileSpec());
        if (path.empty()) path = local;
        if (path.empty()) continue;
        if (!local.empty() && local != path) m_localPaths.emplace(path, local);

        const std::uint64_t header = module.GetObjectFileHeaderAddress().GetLoadAddress(m_target);
        bool headerMapped = false;
        std::vector<target::Mapping> segments;
        const std::uint32_t sectionCount = static_cast<std::uint32_t>(std::min<std::size_t>(module.GetNumSections(), kMaxSections));
        for (std::uint32_t s = 0; s < sectionCount; ++s) {
            lldb::SBSection section = module.GetSectionAtIndex(s);
            if (!startsWith(section.GetName(), "PT_LOAD")) continue;
            const std::uint64_t load = section.GetLoadAddress(m_target);
            const std::uint64_t size = section.GetByteSize();
            if (load == LLDB_INVALID_ADDRESS || size == 0) continue;
            const std::uint32_t permissions = section.GetPermissions();
            target::Mapping mapping;
            mapping.start = load & kPageMask;
            mapping.end = (load + size + kPageSize - 1) & kPageMask;
            const std::uint64_t slack = load - mapping.start;
            const std::uint64_t fileOffset = section.GetFileOffset();
            mapping.fileOffset = fileOffset >= slack ? fileOffset - slack : 0;
            mapping.path = path;
            mapping.readable = (permissions & lldb::ePermissionsReadable) != 0;
            mapping.writable = (permissions & lldb::ePermissionsWritable) != 0;
            mapping.executable = (permissions & lldb::ePermissionsExecutable) != 0;
            if (mapping.fileOffset == 0 && header != LLDB_INVALID_ADDRESS && mapping.start == (header & kPageMask))
                headerMapped = true;
            if (!mapping.writable && section.GetFileByteSize() > 0)
                m_fileSegments.push_back({load, section.GetFileByteSize(), section});
            segments.push_back(std::move(mapping));
        }
        // ModuleIndex finds a module's load bias from the mapping of file
        // offset 0: make sure there is one, at the ELF header.
        if (!headerMapped && header != LLDB_INVALID_ADDRESS) {
            target::Mapping first;
            first.start = header & kPageMask;
            first.end = first.start + kPageSize;
            first.path = path;
            for (const auto& segment : segments) {
                if (segment.start < first.end && segment.end > first.start) first.end = first.start;  // overlap
            }
            if (first.end > first.start) segments.push_back(std::move(first));
        }
        for (auto& segment : segments) modules.push_back(std::move(segment));
    }
    std::sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    std::sort(m_fileSegments.begin(), m_fileSegments.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });

    // Everything else the process maps: heap, stacks, anonymous mmaps, which
    // readers that scan writable memory need. Parts covered by a module's
    // segments are left to the module.
    std::vector<target::Mapping> all = modules;
    lldb::SBMemoryRegionInfoList regions = m_process.GetMemoryRegions();
    const std::uint32_t regionCount = std::min(regions.GetSize(), kMaxRegions);
    for (std::uint32_t r = 0; r < regionCount; ++r) {
        lldb::SBMemoryRegionInfo region;
        if (!regions.GetMemoryRegionAtIndex(r, region) || !region.IsMapped()) continue;
        std::uint64_t start = region.GetRegionBase();
        const std::uint64_t end = region.GetRegionEnd();
        const char* name = region.GetName();
        std::string pseudo = name != nullptr && name[0] == '[' ? std::string(name) : std::string();
        // Walk the sorted module segments that overlap [start, end).
        auto it = std::lower_bound(modules.begin(), modules.end(), start,
                                   [](const target::Mapping& m, std::uint64_t a) { return m.end <= a; });
        while (start < end) {
            std::uint64_t pieceEnd = end;
            if (it != modules.end() && it->start < end) {
                if (it->start <= start) {
                    start = std::max(start, it->end);
                    ++it;
                    continue;
                }
                pieceEnd = it->start;
            }
            target::Mapping piece;
            piece.start = start;
            piece.end = pieceEnd;
            piece.path = pseudo;
            piece.readable = region.IsReadable();
            piece.writable = region.IsWritable();
            piece.executable = region.IsExecutable();
            all.push_back(std::move(piece));
            start = pieceEnd;
        }
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    m_mappings = std::move(all);
}

std::size_t LldbTarget::read(std::uint64_t address, void* out, std::size_t size)
{
    auto* bytes = static_cast<char*>(out);
    std::size_t done = 0;
    // ReadMemory stops at the end of a core segment, so continue from there;
    // each pass either makes progress or ends the loop.
    while (done < size) {
        lldb::SBError error;
        std::size_t got = m_process.ReadMemory(address + done, bytes + done, size - done, error);
        if (got == 0 && m_isCore) got = readFromObjectFile(address + done, bytes + done, size - done);
        if (got == 0 || got > size - done) break;
        done += got;
    }
    return done;
}

std::size_t LldbTarget::readFromObjectFile(std::uint64_t address, void* out, std::size_t size)
{
    auto it = std::upper_bound(m_fileSegments.begin(), m_fileSegments.end(), address,
                               [](std::uint64_t a, const FileSegment& s) { return a < s.start; });
    if (it == m_fileSegments.begin()) return 0;
    --it;
    const std::uint64_t offset = address - it->start;
    if (offset >= it->fileSize) return 0;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, it->fileSize - offset));
    lldb::SBData data = it->section.GetSectionData(offset, want);
    if (!data.IsValid() || data.GetByteSize() == 0) return 0;
    lldb::SBError error;
    const std::size_t got = data.ReadRawData(error, 0, out, std::min<std::size_t>(want, data.GetByteSize()));
    return error.Success() ? got : 0;
}

std::string LldbTarget::resolveModulePath(const std::string& mappedPath) const
{
    auto it = m_localPaths.find(mappedPath);
    return it != m_localPaths.end() ? it->second : mappedPath;
}

}  // namespace pyautopsy::lldbplugin
