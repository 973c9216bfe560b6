#include "target/ElfImage.h"

#include "target/ElfFile.h"
#include "target/ElfNotes.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <functional>
#include <utility>

namespace pyautopsy::target {

namespace {

// One symbol table (.dynsym or .symtab). A name index is built on the first
// lookup in .dynsym (small, and asked some thirty times a report); .symtab
// is scanned for its first kSymtabScans lookups and indexed only past them:
// a report asks libpython's .symtab (~17,000 entries) for a few names, most
// of them missing, and a scan compares a first byte per symbol where the
// index hashes every name and fills 512 KiB of slots, each fresh page a
// fault. The index is one flat open-addressing array (no allocation per
// symbol): a node-based map of the names cost more than the whole stack walk
// (see bench/README.md).
constexpr unsigned kSymtabScans = 8;

struct SymbolTable {
    struct Slot {
        std::uint32_t symbol = 0;  // index into the table; 0 (STN_UNDEF) = empty
        std::uint32_t hashTag = 0; // upper hash bits, to skip most name compares
    };
    Elf_Data* data = nullptr;
    std::size_t count = 0;
    std::size_t stringSection = 0;
    std::string_view strings;      // the linked string table's raw bytes
    unsigned scansBeforeIndexing = 0;
    std::atomic<unsigned> lookups{0};
    std::once_flag indexed;
    std::vector<Slot> slots;       // size is a power of two, at most half full
};

// A function symbol in the sorted index: 16 bytes, so that sorting the
// ~15,000 functions of an unstripped libpython moves little memory. The name
// is found again through `ref` when a lookup returns it. They are sorted by
// a radix sort on the address: a comparison sort of them cost more than the
// rest of the native unwind (bench/README.md).
struct FunctionEntry {
    std::uint64_t value;
    std::uint32_t size;        // st_size, clamped (no function spans 4 GiB)
    std::uint32_t ref;         // symbol index, | kDynsymRef for .dynsym
};
constexpr std::uint32_t kDynsymRef = 0x80000000u;

bool isFunctionType(unsigned type) { return type == STT_FUNC || type == STT_GNU_IFUNC; }

// Calls f(index, st_value, st_size, st_name) for each defined function symbol
// with an address, reading 64-bit tables in place (gelf_getsym copies each).
template <typename F>
void forEachFunction(const SymbolTable& table, bool elf64, F&& f)
{
    if (table.data == nullptr) return;
    if (elf64 && table.data->d_type == ELF_T_SYM && table.data->d_buf != nullptr) {
        const auto* syms = static_cast<const Elf64_Sym*>(table.data->d_buf);
        const std::size_t count = std::min(table.count, table.data->d_size / sizeof(Elf64_Sym));
        for (std::size_t i = 1; i < count; ++i) {
            const Elf64_Sym& sym = syms[i];
            if (!isFunctionType(ELF64_ST_TYPE(sym.st_info)) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
                continue;
            f(i, sym.st_value, sym.st_size, sym.st_name);
        }
        return;
    }
    for (std::size_t i = 1; i < table.count; ++i) {
        GElf_Sym sym;
        if (gelf_getsym(table.data, static_cast<int>(i), &sym) == nullptr) continue;
        if (!isFunctionType(GELF_ST_TYPE(sym.st_info)) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
        f(i, sym.st_value, sym.st_size, sym.st_name);
    }
}

}  // namespace

struct ElfImage::Impl {
    explicit Impl(const std::string& path) : file(path) {}

    ElfFile file;
    std::vector<ElfSegment> loads;
    std::vector<ElfSection> sections;
    std::optional<std::string> buildId;
    SymbolTable dynsym, symtab;
    std::once_flag functionsSorted;
    std::vector<FunctionEntry> functions;    // sorted by address, one per address
    std::atomic<unsigned> addressScans{0};

    // The symbol's name, straight from the string table's bytes (elf_strptr
    // re-validates the section on every call); empty when out of range or
    // not NUL-terminated inside the table.
    static std::string_view nameOf(const SymbolTable& table, const GElf_Sym& sym)
    {
        if (sym.st_name >= table.strings.size()) return {};
        const std::string_view rest = table.strings.substr(sym.st_name);
        const std::size_t end = rest.find('\0');
        return end == std::string_view::npos ? std::string_view() : rest.substr(0, end);
    }

    static std::uint32_t hashTag(std::size_t hash) { return static_cast<std::uint32_t>(hash >> 32) | 1u; }

    void indexTable(SymbolTable& table) const
    {
        std::size_t capacity = 16;
        while (capacity < 2 * table.count) capacity *= 2;
        table.slots.assign(capacity, {});
        const std::size_t mask = capacity - 1;
        for (std::size_t i = 1; i < table.count && i <= UINT32_MAX; ++i) {
            GElf_Sym sym;
            if (gelf_getsym(table.data, static_cast<int>(i), &sym) == nullptr) continue;
            if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0) continue;
            std::string_view name = nameOf(table, sym);
            if (name.empty()) continue;
            const std::size_t hash = std::hash<std::string_view>{}(name);
            const std::uint32_t tag = hashTag(hash);
            for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
                SymbolTable::Slot& slot = table.slots[at];
                if (slot.symbol == 0) {
                    slot = {static_cast<std::uint32_t>(i), tag};
                    break;
                }
                GElf_Sym other;
                if (slot.hashTag == tag && gelf_getsym(table.data, static_cast<int>(slot.symbol), &other) != nullptr
                    && nameOf(table, other) == name) {
                    // Several static symbols may share a name in .symtab: a global wins.
                    if (GELF_ST_BIND(sym.st_info) != STB_LOCAL) slot.symbol = static_cast<std::uint32_t>(i);
                    break;
                }
            }
        }
    }

    // What the index would answer for `name`, by one pass over the table: the
    // last global symbol of that name, else the first local one.
    std::optional<ElfSymbol> scanTable(const SymbolTable& table, std::string_view name) const
    {
        if (name.empty()) return std::nullopt;
        std::optional<GElf_Sym> found;
        auto consider = [&](const GElf_Sym& sym) {
            if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0 || sym.st_name >= table.strings.size()) return;
            const std::string_view rest = table.strings.substr(sym.st_name);
            if (rest.size() <= name.size() || rest[name.size()] != '\0' || rest.compare(0, name.size(), name) != 0)
                return;
            if (!found || GELF_ST_BIND(sym.st_info) != STB_LOCAL) found = sym;
        };
        if (elf64() && table.data->d_type == ELF_T_SYM && table.data->d_buf != nullptr) {
            const auto* syms = static_cast<const Elf64_Sym*>(table.data->d_buf);
            const std::size_t count = std::min(table.count, table.data->d_size / sizeof(Elf64_Sym));
            const char first = name.front();
            for (std::size_t i = 1; i < count; ++i) {
                // Most names differ in their first byte: test it before anything else.
                if (syms[i].st_name >= table.strings.size() || table.strings[syms[i].st_name] != first) continue;
                GElf_Sym sym;
                sym.st_name = syms[i].st_name;
                sym.st_info = syms[i].st_info;
                sym.st_other = syms[i].st_other;
                sym.st_shndx = syms[i].st_shndx;
                sym.st_value = syms[i].st_value;
                sym.st_size = syms[i].st_size;
                consider(sym);
            }
        } else {
            for (std::size_t i = 1; i < table.count; ++i) {
                GElf_Sym sym;
                if (gelf_getsym(table.data, static_cast<int>(i), &sym) != nullptr) consider(sym);
            }
        }
        if (!found) return std::nullopt;
        return ElfSymbol{std::string(name), found->st_value, found->st_size,
                         isFunctionType(GELF_ST_TYPE(found->st_info))};
    }

    std::optional<ElfSymbol> lookup(SymbolTable& table, std::string_view name) const
    {
        if (table.data == nullptr) return std::nullopt;
        // Either answer is the same; past a few lookups the index is cheaper.
        if (table.lookups.fetch_add(1, std::memory_order_relaxed) < table.scansBeforeIndexing)
            return scanTable(table, name);
        std::call_once(table.indexed, [&] { indexTable(table); });
        const std::size_t hash = std::hash<std::string_view>{}(name);
        const std::uint32_t tag = hashTag(hash);
        const std::size_t mask = table.slots.size() - 1;
        for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
            const SymbolTable::Slot& slot = table.slots[at];
            if (slot.symbol == 0) return std::nullopt;  // at most half full: an empty slot always comes
            if (slot.hashTag != tag) continue;
            GElf_Sym sym;
            if (gelf_getsym(table.data, static_cast<int>(slot.symbol), &sym) == nullptr) continue;
            if (nameOf(table, sym) != name) continue;
            return ElfSymbol{std::string(name), sym.st_value, sym.st_size,
                             isFunctionType(GELF_ST_TYPE(sym.st_info))};
        }
    }

    bool elf64() const { return gelf_getclass(file.elf()) == ELFCLASS64; }

    std::string_view nameOfRef(std::uint32_t ref) const
    {
        const SymbolTable& table = (ref & kDynsymRef) != 0 ? dynsym : symtab;
        GElf_Sym sym;
        if (gelf_getsym(table.data, static_cast<int>(ref & ~kDynsymRef), &sym) == nullptr) return {};
        return nameOf(table, sym);
    }

    // Both tables in one order: .symtab, then .dynsym, each by index.
    template <typename F>
    void forEachFunctionEntry(F&& f) const
    {
        const bool is64 = elf64();
        for (const SymbolTable* table : {&symtab, &dynsym}) {
            const std::uint32_t tag = table == &dynsym ? kDynsymRef : 0;
            forEachFunction(*table, is64, [&](std::size_t index, std::uint64_t value, std::uint64_t size,
                                              std::uint64_t name) {
                if (name == 0 || name >= table->strings.size() || index >= kDynsymRef) return;
                f(FunctionEntry{value, static_cast<std::uint32_t>(std::min<std::uint64_t>(size, UINT32_MAX)),
                                static_cast<std::uint32_t>(index) | tag});
            });
        }
    }

    // Stable LSD radix sort by address, 11 bits a pass: two or three passes
    // for a shared library's addresses.
    static void sortByAddress(std::vector<FunctionEntry>& entries)
    {
        constexpr unsigned kBits = 11;
        constexpr std::size_t kBuckets = std::size_t{1} << kBits;
        std::uint64_t highest = 0;
        for (const FunctionEntry& entry : entries) highest = std::max(highest, entry.value);
        std::vector<FunctionEntry> scratch(entries.size());
        for (unsigned shift = 0; shift < 64 && (highest >> shift) != 0; shift += kBits) {
            std::vector<std::size_t> next(kBuckets, 0);
            for (const FunctionEntry& entry : entries) ++next[(entry.value >> shift) & (kBuckets - 1)];
            std::size_t at = 0;
            for (std::size_t& slot : next) at += std::exchange(slot, at);
            for (const FunctionEntry& entry : entries) scratch[next[(entry.value >> shift) & (kBuckets - 1)]++] = entry;
            entries.swap(scratch);
        }
    }

    void sortFunctions()
    {
        functions.reserve(symtab.count + dynsym.count);
        forEachFunctionEntry([&](const FunctionEntry& entry) { functions.push_back(entry); });
        sortByAddress(functions);
        // One entry per address: the one with the largest size (aliases often
        // lack one), the first in table order among equals (the sort is stable).
        std::size_t kept = 0;
        for (std::size_t i = 0; i < functions.size();) {
            std::size_t best = i, j = i + 1;
            for (; j < functions.size() && functions[j].value == functions[i].value; ++j) {
                if (functions[j].size > functions[best].size) best = j;
            }
            functions[kept++] = functions[best];
            i = j;
        }
        functions.resize(kept);
    }

    std::optional<FunctionEntry> functionAt(std::uint64_t vaddr)
    {
        std::call_once(functionsSorted, [&] { sortFunctions(); });
        auto it = std::upper_bound(functions.begin(), functions.end(), vaddr,
                                   [](std::uint64_t address, const FunctionEntry& f) { return address < f.value; });
        if (it == functions.begin()) return std::nullopt;
        return *--it;
    }

    // What functionAt() answers for each of `sorted` (ascending, distinct),
    // by one pass over the tables. An entry answers the addresses at or
    // above it; it is kept only for the first of them, the gap it falls in,
    // if it is the highest there (among equal ones, the larger, then the
    // earlier in table order: the index's choice among aliases). An address
    // whose gap has no entry takes the answer of the address below, after
    // the pass. Updating every address above each entry instead made the
    // pass quadratic: tables list most functions in ascending order.
    std::vector<std::optional<FunctionEntry>> scanFunctionsAt(const std::vector<std::uint64_t>& sorted) const
    {
        std::vector<std::optional<FunctionEntry>> best(sorted.size());
        forEachFunctionEntry([&](const FunctionEntry& entry) {
            const auto gap = std::lower_bound(sorted.begin(), sorted.end(), entry.value);
            if (gap == sorted.end()) return;
            std::optional<FunctionEntry>& answer = best[static_cast<std::size_t>(gap - sorted.begin())];
            if (!answer || answer->value < entry.value || (answer->value == entry.value && answer->size < entry.size))
                answer = entry;
        });
        for (std::size_t k = 1; k < best.size(); ++k)
            if (!best[k]) best[k] = best[k - 1];
        return best;
    }

    std::optional<ElfSymbol> symbolOf(const std::optional<FunctionEntry>& entry, std::uint64_t vaddr) const
    {
        if (!entry) return std::nullopt;
        if (entry->size != 0 && vaddr - entry->value >= entry->size) return std::nullopt;
        return ElfSymbol{std::string(nameOfRef(entry->ref)), entry->value, entry->size, true};
    }
};

ElfImage::ElfImage(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ElfImage::~ElfImage() = default;

std::shared_ptr<ElfImage> ElfImage::open(const std::string& path)
{
    auto impl = std::make_unique<Impl>(path);
    Elf* elf = impl->file.elf();

    std::size_t phdrCount = 0;
    if (elf_getphdrnum(elf, &phdrCount) == 0) {
        for (std::size_t i = 0; i < phdrCount; ++i) {
            GElf_Phdr phdr;
            if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr) continue;
            if (phdr.p_type == PT_LOAD) {
                impl->loads.push_back({phdr.p_vaddr, phdr.p_memsz, phdr.p_offset, phdr.p_filesz,
                                       (phdr.p_flags & PF_W) != 0, (phdr.p_flags & PF_X) != 0});
            } else if (phdr.p_type == PT_NOTE && !impl->buildId) {
                impl->buildId = findBuildId(impl->file.slice(phdr.p_offset, phdr.p_filesz), phdr.p_align);
            }
        }
    }

    std::size_t namesIndex = 0;
    if (elf_getshdrstrndx(elf, &namesIndex) == 0) {
        for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr) == nullptr) continue;
            const char* name = elf_strptr(elf, namesIndex, shdr.sh_name);
            impl->sections.push_back({name != nullptr ? name : "", shdr.sh_addr, shdr.sh_offset,
                                      shdr.sh_size, shdr.sh_type != SHT_NOBITS});
            if (shdr.sh_type == SHT_NOTE && !impl->buildId) {
                impl->buildId = findBuildId(impl->file.slice(shdr.sh_offset, shdr.sh_size), shdr.sh_addralign);
            }
            if (shdr.sh_type == SHT_DYNSYM || shdr.sh_type == SHT_SYMTAB) {
                SymbolTable& table = shdr.sh_type == SHT_DYNSYM ? impl->dynsym : impl->symtab;
                table.data = elf_getdata(scn, nullptr);
                table.count = shdr.sh_entsize != 0 ? shdr.sh_size / shdr.sh_entsize : 0;
                table.stringSection = shdr.sh_link;
                table.scansBeforeIndexing = shdr.sh_type == SHT_SYMTAB ? kSymtabScans : 0;
                if (Elf_Scn* strings = elf_getscn(elf, shdr.sh_link)) {
                    if (Elf_Data* bytes = elf_getdata(strings, nullptr); bytes != nullptr && bytes->d_buf != nullptr)
                        table.strings = std::string_view(static_cast<const char*>(bytes->d_buf), bytes->d_size);
                }
                if (table.data == nullptr) table.count = 0;
            }
        }
    }
    return std::shared_ptr<ElfImage>(new ElfImage(std::move(impl)));
}

const std::string& ElfImage::path() const { return m_impl->file.path(); }
bool ElfImage::isExecutable() const { return m_impl->file.header().e_type == ET_EXEC; }
bool ElfImage::isSharedObject() const { return m_impl->file.header().e_type == ET_DYN; }
const std::vector<ElfSegment>& ElfImage::loadSegments() const { return m_impl->loads; }
const std::optional<std::string>& ElfImage::buildId() const { return m_impl->buildId; }

std::optional<ElfSymbol> ElfImage::findSymbol(std::string_view name, bool dynamicOnly) const
{
    if (auto found = m_impl->lookup(m_impl->dynsym, name)) return found;
    if (dynamicOnly) return std::nullopt;
    return m_impl->lookup(m_impl->symtab, name);
}

std::optional<ElfSymbol> ElfImage::symbolize(std::uint64_t vaddr) const
{
    return std::move(symbolizeAll(std::span(&vaddr, 1)).front());
}

std::vector<std::optional<ElfSymbol>> ElfImage::symbolizeAll(std::span<const std::uint64_t> vaddrs) const
{
    std::vector<std::optional<ElfSymbol>> symbols;
    symbols.reserve(vaddrs.size());
    if (vaddrs.size() > kAddressesPerScan ||
        m_impl->addressScans.fetch_add(1, std::memory_order_relaxed) >= kScansBeforeIndexing) {
        for (std::uint64_t vaddr : vaddrs) symbols.push_back(m_impl->symbolOf(m_impl->functionAt(vaddr), vaddr));
        return symbols;
    }
    std::vector<std::uint64_t> sorted(vaddrs.begin(), vaddrs.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    const auto entries = m_impl->scanFunctionsAt(sorted);
    for (std::uint64_t vaddr : vaddrs) {
        const auto at = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), vaddr) - sorted.begin());
        symbols.push_back(m_impl->symbolOf(entries[at], vaddr));
    }
    return symbols;
}

std::optional<ElfSection> ElfImage::findSection(std::string_view name) const
{
    for (const ElfSection& section : m_impl->sections) {
        if (section.name == name) return section;
    }
    return std::nullopt;
}

std::size_t ElfImage::readVirtual(std::uint64_t vaddr, void* out, std::size_t size) const
{
    auto* dest = static_cast<std::uint8_t*>(out);
    std::size_t copied = 0;
    while (copied < size) {
        const std::uint64_t address = vaddr + copied;
        const ElfSegment* segment = nullptr;
        for (const ElfSegment& load : m_impl->loads) {
            if (address >= load.vaddr && address - load.vaddr < load.filesz) {
                segment = &load;
                break;
            }
        }
        if (segment == nullptr) break;
        const std::uint64_t within = address - segment->vaddr;
        auto bytes = m_impl->file.slice(segment->offset + within,
                                        std::min<std::uint64_t>(size - copied, segment->filesz - within));
        if (bytes.empty()) break;
        std::memcpy(dest + copied, bytes.data(), bytes.size());
        copied += bytes.size();
    }
    return copied;
}

}  // namespace pyautopsy::target
