#include "target/CoreFileTarget.h"

#include "support/Error.h"
#include "target/CoreNotes.h"
#include "target/ElfFile.h"
#include "target/ElfImage.h"
#include "target/ElfNotes.h"
#include "target/MappedFileReader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <unordered_map>

namespace pyautopsy::target {

namespace {

struct Segment {
    std::uint64_t vaddr, memsz, offset, filesz;  // filesz already clipped to the file
    std::uint64_t dumpedSize;                    // p_filesz: what the core should hold
    std::uint32_t flags;
};

std::string elfTypeName(unsigned type)
{
    switch (type) {
    case ET_NONE: return "ET_NONE";
    case ET_REL: return "ET_REL (object file)";
    case ET_EXEC: return "ET_EXEC (executable)";
    case ET_DYN: return "ET_DYN (shared object or PIE executable)";
    default: return fmt::format("{:#x}", type);
    }
}

template <typename Range>
auto findContaining(Range& items, std::uint64_t address, auto start, auto end)
{
    auto it = std::upper_bound(items.begin(), items.end(), address,
                               [&](std::uint64_t a, const auto& item) { return a < start(item); });
    if (it == items.begin()) return items.end();
    --it;
    return address < end(*it) ? it : items.end();
}

}  // namespace

struct CoreFileTarget::Impl {
    Impl(const std::string& path, CoreOptions opts) : file(path), options(std::move(opts)) {}

    ElfFile file;
    CoreOptions options;
    std::vector<Segment> segments;                  // sorted by vaddr
    std::atomic<std::size_t> lastSegment{0};        // where the last read was; only a hint

    // The core's blocks that reads used last, by the address they show, so
    // that a read within one block (most of a walk's ~12,000 reads of a few
    // bytes) is one lookup and a copy: no segment search, lock or hash.
    struct RecentBlock {
        std::uint64_t key = ~std::uint64_t{0};   // address / ElfFile::kBlock
        const std::uint8_t* bytes = nullptr;     // ElfFile::kBlock bytes
    };
    static constexpr std::size_t kRecentBlocks = 64;
    std::array<RecentBlock, kRecentBlocks> recent{};
    std::size_t recentEpoch = 0;                   // file.cacheEpoch() the pointers belong to
    void rememberBlock(const Segment& segment, std::uint64_t address);
    std::vector<core_notes::FileNoteEntry> files;   // sorted by start
    ProcessInfo process;
    std::vector<ThreadInfo> threads;
    std::vector<Mapping> mappings;
    std::vector<std::string> warnings;
    MappedFileReader disk;

    void readProgramHeaders();
    void readNotes(std::span<const std::uint8_t> area, std::uint64_t alignment);
    void buildMappings();
    void fillProcess(const std::optional<core_notes::PrPsInfo>& psinfo, const core_notes::AuxvFacts& auxv);
    std::size_t readFromDisk(std::uint64_t address, std::uint8_t* out, std::size_t size);

    // --exe and --sysroot decide which file stands in for a mapped path.
    std::string resolveUncached(const std::string& mappedPath) const;
    const std::string& resolve(const std::string& mappedPath)
    {
        auto it = resolved.find(mappedPath);
        if (it == resolved.end()) it = resolved.emplace(mappedPath, resolveUncached(mappedPath)).first;
        return it->second;
    }
    std::unordered_map<std::string, std::string> resolved;
    // resolveUncached, or the file fetched by build-id when that one is
    // missing or another build; remembered for readFromDisk.
    std::string resolveByBuildId(const std::string& mappedPath, const std::string& buildId);
    std::string fetcherFailure;  // the warning saying the fetcher failed; then it is asked no more

    bool truncated = false;
    std::optional<core_notes::PrPsInfo> psinfo;
    core_notes::AuxvFacts auxv;
};

void CoreFileTarget::Impl::readProgramHeaders()
{
    const GElf_Ehdr& ehdr = file.header();
    const std::uint64_t fileSize = file.bytes().size();
    std::size_t count = 0;
    if (elf_getphdrnum(file.elf(), &count) != 0 || count == 0)
        throw Error(ErrorKind::BadInput, fmt::format("{}: core file has no program headers", file.path()));
    if (ehdr.e_phoff > fileSize || count * sizeof(Elf64_Phdr) > fileSize - ehdr.e_phoff)
        throw Error(ErrorKind::BadInput,
                    fmt::format("{}: truncated core file: its program headers end past the file's {} bytes",
                                file.path(), fileSize));

    std::size_t clipped = 0;
    std::uint64_t needed = fileSize;
    for (std::size_t i = 0; i < count; ++i) {
        GElf_Phdr phdr;
        if (gelf_getphdr(file.elf(), static_cast<int>(i), &phdr) == nullptr) continue;
        const std::uint64_t available = phdr.p_offset < fileSize ? fileSize - phdr.p_offset : 0;
        const std::uint64_t filesz = std::min(phdr.p_filesz, available);
        if (filesz < phdr.p_filesz) {
            ++clipped;
            needed = std::max(needed, phdr.p_offset + phdr.p_filesz);
        }
        if (phdr.p_type == PT_NOTE) {
            readNotes(file.slice(phdr.p_offset, filesz), phdr.p_align);
        } else if (phdr.p_type == PT_LOAD && phdr.p_memsz > 0) {
            segments.push_back({phdr.p_vaddr, phdr.p_memsz, phdr.p_offset, filesz, phdr.p_filesz, phdr.p_flags});
        }
    }
    std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.vaddr < b.vaddr; });
    truncated = clipped > 0;
    if (clipped > 0) {
        warnings.push_back(fmt::format(
            "{}: truncated core file ({} bytes, needs {}): {} segment(s) cut short; their missing bytes read as "
            "unavailable", file.path(), fileSize, needed, clipped));
    }
}

void CoreFileTarget::Impl::readNotes(std::span<const std::uint8_t> area, std::uint64_t alignment)
{
    forEachNote(area, alignment, [&](const ElfNote& note) {
        if (note.name != "CORE") return true;  // "LINUX" notes hold FPU/XSAVE state we do not use
        switch (note.type) {
        case core_notes::kPrStatus:
            if (auto status = core_notes::parsePrStatus(note.desc)) {
                ThreadInfo thread;
                thread.tid = status->tid;
                thread.registers = status->registers;
                if (status->currentSignal != 0) thread.pendingSignal = status->currentSignal;
                threads.push_back(std::move(thread));
            } else {
                warnings.push_back(fmt::format("{}: a thread's NT_PRSTATUS note is too short ({} bytes); thread skipped",
                                               file.path(), note.desc.size()));
            }
            break;
        case core_notes::kPrPsInfo:
            if (!psinfo) psinfo = core_notes::parsePrPsInfo(note.desc);
            break;
        case core_notes::kAuxv:
            auxv = core_notes::parseAuxv(note.desc);
            break;
        case core_notes::kSigInfo:
            // The kernel writes one, for the thread that took the signal; gcore
            // may write one per thread. The first belongs to the first thread.
            if (!process.signal) process.signal = core_notes::parseSigInfo(note.desc);
            break;
        case core_notes::kFile:
            if (auto fileNote = core_notes::parseFileNote(note.desc)) {
                if (fileNote->truncated)
                    warnings.push_back(fmt::format("{}: NT_FILE note is truncated; some mappings have no path", file.path()));
                files = std::move(fileNote->entries);
            } else {
                warnings.push_back(fmt::format("{}: NT_FILE note is unreadable; mappings have no paths", file.path()));
            }
            break;
        default: break;
        }
        return true;
    });
}

void CoreFileTarget::Impl::buildMappings()
{
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    auto fileAt = [&](std::uint64_t address) {
        return findContaining(files, address, [](const auto& f) { return f.start; }, [](const auto& f) { return f.end; });
    };
    for (const Segment& segment : segments) {
        Mapping mapping;
        mapping.start = segment.vaddr;
        mapping.end = segment.vaddr + segment.memsz;
        mapping.readable = (segment.flags & PF_R) != 0;
        mapping.writable = (segment.flags & PF_W) != 0;
        mapping.executable = (segment.flags & PF_X) != 0;
        if (auto it = fileAt(segment.vaddr); it != files.end()) {
            mapping.path = it->path;
            mapping.fileOffset = it->fileOffset + (segment.vaddr - it->start);
        }
        mappings.push_back(std::move(mapping));
    }
    // A writer may leave out a file mapping's segment entirely; NT_FILE still knows it.
    for (const auto& entry : files) {
        auto covered = findContaining(segments, entry.start, [](const Segment& s) { return s.vaddr; },
                                      [](const Segment& s) { return s.vaddr + s.memsz; });
        if (covered != segments.end()) continue;
        mappings.push_back({entry.start, entry.end, entry.fileOffset, entry.path, true, false, false});
    }
    std::sort(mappings.begin(), mappings.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
}

void CoreFileTarget::Impl::fillProcess(const std::optional<core_notes::PrPsInfo>& ps, const core_notes::AuxvFacts& aux)
{
    process.auxvEntry = aux.entry;
    process.auxvPhdr = aux.phdr;
    if (ps) {
        process.pid = ps->pid;
        process.ppid = ps->ppid;
        process.command = ps->arguments;
        process.forkedWithoutExec = (ps->flags & kPfForkNoExec) != 0;
        for (ThreadInfo& thread : threads) {
            if (thread.tid == ps->pid) thread.name = ps->fileName;  // pr_fname is the leader's comm
        }
    }
    if (process.signal && !threads.empty()) process.crashedTid = threads.front().tid;

    // The executable is the file mapped at the entry point; AT_EXECFN (the path
    // handed to execve, possibly relative) is the fallback.
    for (const auto& entry : files) {
        if (aux.entry && *aux.entry >= entry.start && *aux.entry < entry.end) process.executable = entry.path;
    }
    if (process.executable.empty() && aux.execFn) {
        char path[4096];
        std::size_t got = 0;
        for (const Segment& segment : segments) {
            if (*aux.execFn >= segment.vaddr && *aux.execFn - segment.vaddr < segment.filesz) {
                auto bytes = file.slice(segment.offset + (*aux.execFn - segment.vaddr), sizeof path - 1);
                got = bytes.size();
                std::memcpy(path, bytes.data(), got);
            }
        }
        path[got] = '\0';
        process.executable = path;
    }
}

std::size_t CoreFileTarget::Impl::readFromDisk(std::uint64_t address, std::uint8_t* out, std::size_t size)
{
    auto it = findContaining(files, address, [](const auto& f) { return f.start; }, [](const auto& f) { return f.end; });
    if (it == files.end()) return 0;
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size, it->end - address));
    const std::string& diskPath = resolve(it->path);
    return disk.read(diskPath, it->fileOffset + (address - it->start), out, chunk);
}

CoreFileTarget::CoreFileTarget(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CoreFileTarget::~CoreFileTarget() = default;

std::unique_ptr<CoreFileTarget> CoreFileTarget::open(const std::string& corePath, const CoreOptions& options)
{
    auto impl = std::make_unique<Impl>(corePath, options);
    const GElf_Ehdr& ehdr = impl->file.header();
    if (ehdr.e_type != ET_CORE)
        throw Error(ErrorKind::BadInput, fmt::format("{}: not a core file (ELF type {})", corePath, elfTypeName(ehdr.e_type)));
    if (ehdr.e_machine != EM_X86_64 || ehdr.e_ident[EI_CLASS] != ELFCLASS64)
        throw Error(ErrorKind::BadInput,
                    fmt::format("{}: core file for machine {} is not supported (x86_64 only)", corePath, ehdr.e_machine));

    impl->readProgramHeaders();
    impl->buildMappings();
    impl->fillProcess(impl->psinfo, impl->auxv);
    if (impl->threads.empty())
        impl->warnings.push_back(fmt::format("{}: no NT_PRSTATUS notes: threads and registers are unknown", corePath));
    if (impl->files.empty())
        impl->warnings.push_back(fmt::format("{}: no NT_FILE note: mapped files are unknown", corePath));
    return std::unique_ptr<CoreFileTarget>(new CoreFileTarget(std::move(impl)));
}

void CoreFileTarget::Impl::rememberBlock(const Segment& segment, std::uint64_t address)
{
    constexpr std::uint64_t kBlock = ElfFile::kBlock;
    // Only a whole block of the address space that is a whole block of the
    // file: segments start on page boundaries, so their offsets and
    // addresses agree modulo kBlock (a corrupt header may not).
    const std::uint64_t key = address / kBlock;
    const std::uint64_t start = key * kBlock;
    std::span<const std::uint8_t> bytes;
    if (segment.offset % kBlock == segment.vaddr % kBlock && start >= segment.vaddr
        && start - segment.vaddr + kBlock <= segment.filesz)
        bytes = file.block((segment.offset + (start - segment.vaddr)) / kBlock);
    // The copy that brought the block in, or block() if the file shrank since,
    // may have started the file's cache over, taking every remembered block
    // with it: checked after both.
    if (const std::size_t epoch = file.cacheEpoch(); epoch != recentEpoch) {
        recent.fill({});
        recentEpoch = epoch;
    }
    if (bytes.size() == kBlock) recent[key % kRecentBlocks] = {key, bytes.data()};
}

std::size_t CoreFileTarget::read(std::uint64_t address, void* out, std::size_t size)
{
    if (const std::uint64_t within = address % ElfFile::kBlock; size <= ElfFile::kBlock - within) {
        const auto& slot = m_impl->recent[(address / ElfFile::kBlock) % Impl::kRecentBlocks];
        if (slot.key == address / ElfFile::kBlock) {
            std::memcpy(out, slot.bytes + within, size);
            return size;
        }
    }
    auto* dest = static_cast<std::uint8_t*>(out);
    auto& segments = m_impl->segments;
    std::size_t copied = 0;
    while (copied < size) {
        const std::uint64_t at = address + copied;
        if (at < address) break;  // wrapped around the address space
        const std::size_t want = size - copied;
        // Reads come in runs within one segment (a walk follows pointers
        // through one heap arena): try the last one before searching.
        auto segment = segments.end();
        if (const std::size_t last = m_impl->lastSegment.load(std::memory_order_relaxed); last < segments.size()
            && at >= segments[last].vaddr && at - segments[last].vaddr < segments[last].memsz) {
            segment = segments.begin() + static_cast<std::ptrdiff_t>(last);
        } else {
            segment = findContaining(segments, at, [](const Segment& s) { return s.vaddr; },
                                     [](const Segment& s) { return s.vaddr + s.memsz; });
            if (segment != segments.end())
                m_impl->lastSegment.store(static_cast<std::size_t>(segment - segments.begin()), std::memory_order_relaxed);
        }
        std::uint64_t limit = ~std::uint64_t{0};
        if (segment != segments.end()) {
            const std::uint64_t within = at - segment->vaddr;
            if (within < segment->filesz) {
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(want, segment->filesz - within));
                const std::size_t got = m_impl->file.copy(segment->offset + within, dest + copied, n);
                m_impl->rememberBlock(*segment, at);
                copied += got;
                if (got < n) break;
                continue;
            }
            // Bytes the core should hold but lost to truncation are unavailable: the
            // file on disk has the values from before the process wrote them.
            if (within < segment->dumpedSize) break;
            limit = segment->vaddr + segment->memsz;  // the rest of this segment is not in the core
        }
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(want, limit - at));
        const std::size_t got = m_impl->readFromDisk(at, dest + copied, chunk);
        if (got == 0) break;
        copied += got;
        if (got < chunk) break;
    }
    return copied;
}

bool CoreFileTarget::truncated() const { return m_impl->truncated; }
std::size_t CoreFileTarget::blocksRead() const { return m_impl->file.blocksRead(); }

const ProcessInfo& CoreFileTarget::process() const { return m_impl->process; }
const std::vector<ThreadInfo>& CoreFileTarget::threads() const { return m_impl->threads; }
const std::vector<Mapping>& CoreFileTarget::mappings() const { return m_impl->mappings; }
const std::string& CoreFileTarget::path() const { return m_impl->file.path(); }
const std::vector<std::string>& CoreFileTarget::warnings() const { return m_impl->warnings; }

std::optional<std::string> CoreFileTarget::fetchFailure() const
{
    if (m_impl->fetcherFailure.empty()) return std::nullopt;
    return m_impl->fetcherFailure;
}

std::string CoreFileTarget::resolveModulePath(const std::string& mappedPath) const
{
    return m_impl->resolveUncached(mappedPath);
}

std::string CoreFileTarget::resolveModuleFile(const std::string& mappedPath, const std::optional<std::string>& buildId)
{
    if (!buildId || !m_impl->options.fetcher) return m_impl->resolveUncached(mappedPath);
    return m_impl->resolveByBuildId(mappedPath, *buildId);
}

namespace {

// The build-id of the file at `path`; nullopt when it cannot be opened as ELF
// or has none.
std::optional<std::string> fileBuildId(const std::string& path)
{
    try {
        return ElfImage::open(path)->buildId();
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace

std::string CoreFileTarget::Impl::resolveByBuildId(const std::string& mappedPath, const std::string& buildId)
{
    const std::string local = resolveUncached(mappedPath);
    // --exe is the user's explicit choice: used as given (ModuleIndex warns on a mismatch).
    if (!options.executable.empty() && mappedPath == process.executable) return local;
    std::error_code ignored;
    const bool exists = std::filesystem::exists(local, ignored);
    const std::optional<std::string> localId = exists ? fileBuildId(local) : std::nullopt;
    if (exists && (!localId || *localId == buildId)) return local;  // the right file, or one with no id to compare

    const std::string why = exists ? fmt::format("{} is another build ({})", local, *localId)
                                   : fmt::format("{} is missing", local);
    if (!fetcherFailure.empty()) return local;  // said once already
    try {
        if (auto fetched = options.fetcher->fetchExecutable(buildId)) {
            warnings.push_back(fmt::format("{}: {}; fetched build-id {} from {}: {}", mappedPath, why, buildId,
                                           options.fetcher->source(), *fetched));
            resolved[mappedPath] = *fetched;
            return *fetched;
        }
        warnings.push_back(fmt::format("{}: {}; build-id {} is not on {}", mappedPath, why, buildId,
                                       options.fetcher->source()));
    } catch (const Error& error) {
        // An unreachable server fails every file alike (each after the
        // library's timeout): say it once, and ask no more.
        fetcherFailure = fmt::format("{}: {}; build-id {} not fetched from {}: {}; nothing more is fetched",
                                     mappedPath, why, buildId, options.fetcher->source(), error.what());
        warnings.push_back(fetcherFailure);
    }
    return local;
}

std::string CoreFileTarget::Impl::resolveUncached(const std::string& mappedPath) const
{
    if (!options.executable.empty() && mappedPath == process.executable) return options.executable;
    // Like a debugger's sysroot, --sysroot is the only place files are looked
    // for: a file missing there is missing, not silently taken from this host.
    if (!options.sysroot.empty()) return options.sysroot + mappedPath;
    return mappedPath;
}

}  // namespace pyautopsy::target
