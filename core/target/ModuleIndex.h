// ModuleIndex: the ELF modules mapped into a target, with their load biases.
//
// Built once from Target::mappings(); opens each module's file through
// Target::resolveModulePath() lazily, on first use. Answers "where is symbol X
// at run time", "which module and function holds this address", and checks
// that the file on disk is the one that was mapped (build-id in target memory
// versus on disk), reporting mismatches as warnings, never silently.
#pragma once

#include "target/ElfImage.h"
#include "target/Target.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::target {

struct Module {
    std::string path;            // as mapped in the target
    std::uint64_t start = 0;     // lowest mapped address
    std::uint64_t end = 0;       // highest mapped address (exclusive)
    std::uint64_t bias = 0;      // run-time address = file vaddr + bias
    bool isMainExecutable = false;
};

struct SymbolHit {
    const Module* module = nullptr;
    std::string name;            // empty when the module has no covering symbol
    std::uint64_t offset = 0;    // address - symbol start
};

class ModuleIndex {
public:
    explicit ModuleIndex(Target& target);
    ~ModuleIndex();

    const std::vector<Module>& modules() const;
    const Module* mainExecutable() const;
    const Module* moduleAt(std::uint64_t address) const;

    // The on-disk image of a module, or nullptr when it cannot be opened
    // (a warning says why).
    std::shared_ptr<ElfImage> image(const Module& module) const;

    // Run-time address of a defined symbol, searching the main executable
    // first and then every other module in load order (highest address first),
    // or only `in`, when given.
    // dynamicOnly: exported symbols (.dynsym) only; see ElfImage::findSymbol.
    std::optional<std::uint64_t> findSymbol(std::string_view name, const Module* in = nullptr,
                                            bool dynamicOnly = false) const;
    // Run-time address range of a section, e.g. ".PyRuntime".
    struct SectionRange { const Module* module; std::uint64_t start; std::uint64_t size; };
    std::optional<SectionRange> findSection(std::string_view name, const Module* in = nullptr) const;

    std::optional<SymbolHit> symbolize(std::uint64_t address) const;
    // symbolize() of each address, in order: a stack's addresses together,
    // one pass over each module's symbols (ElfImage::symbolizeAll).
    std::vector<std::optional<SymbolHit>> symbolizeAll(std::span<const std::uint64_t> addresses) const;

    // Problems found while opening modules: missing files, build-id mismatches.
    const std::vector<std::string>& warnings() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pyautopsy::target
