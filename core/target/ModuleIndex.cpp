#include "target/ModuleIndex.h"

#include "support/Error.h"
#include "target/MemoryElfHeader.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace pyautopsy::target {

namespace {

constexpr std::uint64_t kPageMask = ~std::uint64_t{0xfff};

// Pseudo-paths the kernel gives anonymous regions ([heap], [stack], [vdso]...).
bool isPseudoPath(const std::string& path) { return path.empty() || path.front() == '['; }

}  // namespace

struct ModuleIndex::Impl {
    struct Slot {
        std::optional<std::string> memoryBuildId;
        bool tried = false;
        std::shared_ptr<ElfImage> image;
    };

    explicit Impl(Target& t) : target(t) {}

    Target& target;
    std::vector<Module> modules;
    const Module* main = nullptr;
    mutable std::mutex mutex;       // guards slots and warnings, filled lazily
    mutable std::vector<Slot> slots;
    mutable std::vector<std::string> warnings;

    std::shared_ptr<ElfImage> openImage(std::size_t index) const
    {
        std::lock_guard lock(mutex);
        Slot& slot = slots[index];
        if (slot.tried) return slot.image;
        slot.tried = true;
        const Module& module = modules[index];
        const std::string diskPath = target.resolveModuleFile(module.path, slot.memoryBuildId);
        try {
            slot.image = ElfImage::open(diskPath);
        } catch (const Error& error) {
            warnings.push_back(fmt::format("cannot open module {}: {}", module.path, error.what()));
            return nullptr;
        }
        const auto& fileId = slot.image->buildId();
        if (slot.memoryBuildId && fileId && *slot.memoryBuildId != *fileId) {
            warnings.push_back(fmt::format(
                "build-id mismatch for {}: core has {}, file has {} (the file changed since the crash; "
                "pass --sysroot or --exe)",
                diskPath, *slot.memoryBuildId, *fileId));
        }
        return slot.image;
    }

    std::size_t indexOf(const Module& module) const { return static_cast<std::size_t>(&module - modules.data()); }

    // `in` alone; else the main executable first and then the others from the
    // highest address down. The dynamic linker maps each library below the
    // previous one, so that is load order: the interpreter's own libraries
    // before the extension modules dlopen()ed later. It matches symbol
    // resolution and spares opening (and indexing) dozens of extension
    // modules to find a libpython symbol.
    std::vector<const Module*> searchOrder(const Module* in) const
    {
        if (in != nullptr) return {in};
        std::vector<const Module*> order;
        if (main != nullptr) order.push_back(main);
        for (auto it = modules.rbegin(); it != modules.rend(); ++it) {
            if (&*it != main) order.push_back(&*it);
        }
        return order;
    }
};

ModuleIndex::ModuleIndex(Target& target) : m_impl(std::make_unique<Impl>(target))
{
    struct Group { std::uint64_t start = ~std::uint64_t{0}, end = 0, base = ~std::uint64_t{0}; };
    std::map<std::string, Group> groups;
    std::vector<std::string> order;  // first-mapped order, for the fallback main executable
    for (const Mapping& mapping : target.mappings()) {
        if (isPseudoPath(mapping.path)) continue;
        auto [it, inserted] = groups.try_emplace(mapping.path);
        if (inserted) order.push_back(mapping.path);
        Group& group = it->second;
        group.start = std::min(group.start, mapping.start);
        group.end = std::max(group.end, mapping.end);
        if (mapping.fileOffset == 0) group.base = std::min(group.base, mapping.start & kPageMask);
    }

    std::vector<std::pair<Module, std::optional<std::string>>> found;
    for (const std::string& path : order) {
        const Group& group = groups[path];
        if (group.base == ~std::uint64_t{0}) continue;  // no header mapped: a data file
        auto header = readMemoryElfHeader(target, group.base);
        if (!header) continue;  // not ELF (locale-archive, fonts, ...): quietly skipped
        Module module;
        module.path = path;
        module.start = group.start;
        module.end = group.end;
        module.bias = header->type == ET_EXEC ? 0 : group.base - header->firstLoadVaddr;
        found.emplace_back(std::move(module), std::move(header->buildId));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first.start < b.first.start; });

    for (auto& [module, buildId] : found) {
        m_impl->modules.push_back(std::move(module));
        m_impl->slots.push_back({std::move(buildId), false, nullptr});
    }

    // The main executable: the module holding the entry point, else the one
    // named as the executable, else the first ELF mapped.
    const ProcessInfo& process = target.process();
    Module* main = nullptr;
    for (Module& module : m_impl->modules) {
        if (process.auxvEntry && *process.auxvEntry >= module.start && *process.auxvEntry < module.end)
            main = &module;
    }
    for (Module& module : m_impl->modules) {
        if (main == nullptr && !process.executable.empty() && module.path == process.executable) main = &module;
    }
    for (const std::string& path : order) {
        for (Module& module : m_impl->modules) {
            if (main == nullptr && module.path == path) main = &module;
        }
    }
    if (main != nullptr) main->isMainExecutable = true;
    m_impl->main = main;
}

ModuleIndex::~ModuleIndex() = default;

const std::vector<Module>& ModuleIndex::modules() const { return m_impl->modules; }
const Module* ModuleIndex::mainExecutable() const { return m_impl->main; }

const Module* ModuleIndex::moduleAt(std::uint64_t address) const
{
    const auto& modules = m_impl->modules;
    auto it = std::upper_bound(modules.begin(), modules.end(), address,
                               [](std::uint64_t a, const Module& m) { return a < m.start; });
    if (it == modules.begin()) return nullptr;
    --it;
    return address < it->end ? &*it : nullptr;
}

std::shared_ptr<ElfImage> ModuleIndex::image(const Module& module) const
{
    return m_impl->openImage(m_impl->indexOf(module));
}

std::optional<std::uint64_t> ModuleIndex::findSymbol(std::string_view name, const Module* in,
                                                     bool dynamicOnly) const
{
    for (const Module* module : m_impl->searchOrder(in)) {
        auto elf = image(*module);
        if (!elf) continue;
        if (auto symbol = elf->findSymbol(name, dynamicOnly)) return symbol->value + module->bias;
    }
    return std::nullopt;
}

std::optional<ModuleIndex::SectionRange> ModuleIndex::findSection(std::string_view name, const Module* in) const
{
    for (const Module* module : m_impl->searchOrder(in)) {
        auto elf = image(*module);
        if (!elf) continue;
        if (auto section = elf->findSection(name); section && section->address != 0)
            return SectionRange{module, section->address + module->bias, section->size};
    }
    return std::nullopt;
}

std::optional<SymbolHit> ModuleIndex::symbolize(std::uint64_t address) const
{
    return std::move(symbolizeAll(std::span(&address, 1)).front());
}

std::vector<std::optional<SymbolHit>> ModuleIndex::symbolizeAll(std::span<const std::uint64_t> addresses) const
{
    std::vector<std::optional<SymbolHit>> hits(addresses.size());
    // Each module's addresses (file virtual addresses) and where they go.
    std::map<const Module*, std::pair<std::vector<std::uint64_t>, std::vector<std::size_t>>> byModule;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const Module* module = moduleAt(addresses[i]);
        if (module == nullptr) continue;
        hits[i] = SymbolHit{module, {}, addresses[i] - module->start};
        auto& [vaddrs, positions] = byModule[module];
        vaddrs.push_back(addresses[i] - module->bias);
        positions.push_back(i);
    }
    for (const auto& [module, wanted] : byModule) {
        auto elf = image(*module);
        if (!elf) continue;
        auto symbols = elf->symbolizeAll(wanted.first);
        for (std::size_t j = 0; j < symbols.size(); ++j) {
            if (!symbols[j]) continue;
            SymbolHit& hit = *hits[wanted.second[j]];
            hit.name = std::move(symbols[j]->name);
            hit.offset = wanted.first[j] - symbols[j]->value;
        }
    }
    return hits;
}

const std::vector<std::string>& ModuleIndex::warnings() const
{
    std::lock_guard lock(m_impl->mutex);
    return m_impl->warnings;
}

}  // namespace pyautopsy::target
