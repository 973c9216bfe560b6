// CoreFileTarget: a Target over an x86_64 Linux ELF core file, from the kernel
// or from gdb's `gcore`.
//
// Memory comes from the core's PT_LOAD segments; the bytes a core leaves out
// of file-backed mappings (read-only code and .rodata, which the kernel does
// not dump by default) are read from the mapped files on disk, found through
// resolveModulePath(). Threads come from NT_PRSTATUS, the mappings from
// NT_FILE merged with PT_LOAD, the process facts from NT_PRPSINFO, NT_SIGINFO
// and NT_AUXV.
//
// With a BuildIdFetcher in CoreOptions, a mapped ELF file that is missing
// (under --sysroot, when given) or whose build-id differs from the one in the
// core is fetched by that build-id instead, and warnings() says which file
// came from where; --exe is used as given.
//
// open() throws pyautopsy::Error(BadInput) when the file is missing, not ELF,
// not a core, or too truncated to hold its own program headers. A core cut
// short in its segments still opens: the lost bytes read as unmapped and
// warnings() says so.
#pragma once

#include "target/BuildIdFetcher.h"
#include "target/Target.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target {

struct CoreOptions {
    std::string executable;  // --exe: the main executable to use instead of the mapped path
    std::string sysroot;     // --sysroot: the only place mapped paths are looked up (DIR + path)
    // Where a missing or mismatched mapped file is fetched from by build-id
    // (DebuginfodFetcher::fromEnvironment()); nullptr: nothing is fetched.
    std::shared_ptr<BuildIdFetcher> fetcher;
};

class CoreFileTarget : public Target {
public:
    static std::unique_ptr<CoreFileTarget> open(const std::string& corePath, const CoreOptions& options);
    ~CoreFileTarget() override;

    std::string_view kind() const override { return "core"; }
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override;
    const ProcessInfo& process() const override;
    const std::vector<ThreadInfo>& threads() const override;
    const std::vector<Mapping>& mappings() const override;
    std::string resolveModulePath(const std::string& mappedPath) const override;
    std::string resolveModuleFile(const std::string& mappedPath, const std::optional<std::string>& buildId) override;

    const std::string& path() const;
    // Problems that limit what the core can tell (truncation, unreadable notes).
    const std::vector<std::string>& warnings() const;
    // The warning that said the BuildIdFetcher failed (a server unreachable),
    // if it did: a front end adds it to an error the missing files caused.
    std::optional<std::string> fetchFailure() const;
    // Whether the file is shorter than its program headers say (a core cut
    // short by a full disk or a size limit): whatever is read is partial.
    bool truncated() const;
    // What reading the core's memory cost so far: blocks of ElfFile::kBlock
    // bytes read from the file, one pread each (for --stats and bench/).
    std::size_t blocksRead() const;

private:
    struct Impl;
    explicit CoreFileTarget(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pyautopsy::target
