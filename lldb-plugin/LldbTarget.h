// LldbTarget: the process LLDB holds (attached, launched, or a core loaded with
// `target create EXE --core CORE`) seen as a pyautopsy Target.
//
// Everything comes from the SB API, so the plugin works wherever LLDB does and
// needs no debug symbols:
//  - memory: SBProcess::ReadMemory. LLDB's ELF core reader refuses the bytes a
//    kernel core leaves out (read-only file-backed pages: code, .rodata); for
//    those, reads fall back to the module's object file through the SBSection
//    of its non-writable PT_LOAD segment, which is what the page held.
//  - mappings: each SBModule's PT_LOAD segments at their load addresses, named
//    by the module's path in the target, the first one at the ELF header
//    (file offset 0) so ModuleIndex can compute load biases; plus the rest of
//    the address space (heap, stacks, anonymous mmaps) from
//    SBProcess::GetMemoryRegions, unnamed unless LLDB names it "[...]".
//  - threads: SBThread ids (kernel TIDs) and the frame-0 "General Purpose
//    Registers" (rip, rsp, rbp, fs_base, ...).
//  - process facts: pid, executable, and for cores the signal that killed the
//    process and the thread that received it (from the stop reasons).
// kind() says what the target is ("core" or "process") rather than "lldb", so
// that reports word it exactly as the CLI does for the same input.
//
// Construction copies threads, registers and mappings once: the object is a
// snapshot of one stop. The process must be stopped (or be a core) for as long
// as the object is used; read() never writes and never resumes the process.
#pragma once

#include "target/Target.h"

#include <lldb/API/LLDB.h>

#include <map>
#include <string>
#include <vector>

namespace pyautopsy::lldbplugin {

class LldbTarget : public target::Target {
public:
    // Throws pyautopsy::Error(Usage) when `target` has no process or the
    // process is running or gone.
    explicit LldbTarget(lldb::SBTarget target);

    // The same check the constructor makes, without reading anything else:
    // throws unless `target` has a stopped live process or a core.
    static void requireStoppedProcess(lldb::SBTarget target);

    std::string_view kind() const override { return m_isCore ? "core" : "process"; }
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override;
    const target::ProcessInfo& process() const override { return m_info; }
    const std::vector<target::ThreadInfo>& threads() const override { return m_threads; }
    const std::vector<target::Mapping>& mappings() const override { return m_mappings; }
    std::string resolveModulePath(const std::string& mappedPath) const override;

    bool isCore() const { return m_isCore; }
    // The core file's path, for cores whose LLDB knows it; else empty.
    const std::string& corePath() const { return m_corePath; }

private:
    // A non-writable PT_LOAD segment of a module: what its pages hold is in the
    // object file, even when a core left them out.
    struct FileSegment {
        std::uint64_t start = 0;      // load address of the segment's first byte
        std::uint64_t fileSize = 0;   // bytes backed by the file
        lldb::SBSection section;
    };

    void readProcessFacts();
    void readThreads();
    void readMappings();
    std::size_t readFromObjectFile(std::uint64_t address, void* out, std::size_t size);

    lldb::SBTarget m_target;
    lldb::SBProcess m_process;
    bool m_isCore = false;
    std::string m_corePath;
    target::ProcessInfo m_info;
    std::vector<target::ThreadInfo> m_threads;
    std::vector<target::Mapping> m_mappings;
    std::vector<FileSegment> m_fileSegments;             // sorted by start
    std::map<std::string, std::string> m_localPaths;     // path in the target -> file LLDB opened
};

}  // namespace pyautopsy::lldbplugin
