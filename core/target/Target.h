// Target: the bytes and facts of one process, wherever they come from.
//
// Everything above this layer (the CPython walker, diagnosis, reports) sees a
// process only through this interface, so a core file, a live process, and the
// processes LLDB and GDB hold all read the same way. An implementation answers
// four questions: what memory says at an address, which files are mapped where,
// which threads exist (with their registers), and what is known about the
// process itself. It never interprets CPython.
//
// Contract for implementers:
//  - read() never throws and never writes to the target; it returns how many
//    bytes it could copy from the start of the range (0 for unmapped memory).
//  - mappings() lists the address space in ascending order; file-backed
//    mappings carry the path the target knows them by.
//  - Anything unknown stays empty (std::optional, empty string); nothing is invented.
//  - One thread at a time: read() keeps what it read last (a core's blocks,
//    a live process's pages) without locks.
#pragma once

#include "target/ProcessFacts.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pyautopsy::target {

class Target {
public:
    virtual ~Target() = default;

    // "core", "process", or the name of the debugger adapter ("lldb", "gdb").
    virtual std::string_view kind() const = 0;

    // Copies up to `size` bytes at `address` into `out`; returns the number of
    // bytes copied from the start of the range.
    virtual std::size_t read(std::uint64_t address, void* out, std::size_t size) = 0;

    // A walk of the state that must be one moment (thread states, frames)
    // is bracketed by these: beginWalk() before it, walkWasConsistent() after
    // it. The reader walks again while the answer is no, a bounded number of
    // times. A core file or a debugger's stopped process is one moment: one
    // walk. A live process stops its threads here, so that the work before it
    // (opening binaries, finding the runtime) is not done while it is held,
    // and it may want several walks (LiveProcessTarget.h). threads() is
    // complete (with registers, where the target has them) only after the
    // first beginWalk().
    virtual void beginWalk() {}
    virtual bool walkWasConsistent() const { return true; }

    virtual const ProcessInfo& process() const = 0;
    virtual const std::vector<ThreadInfo>& threads() const = 0;
    virtual const std::vector<Mapping>& mappings() const = 0;

    // Where the target knows the on-disk ELF file of a mapped module (a core's
    // NT_FILE path after --sysroot/--exe substitution, /proc/PID/map_files, a
    // debugger's module list), the path to open; otherwise the mapping's own path.
    virtual std::string resolveModulePath(const std::string& mappedPath) const { return mappedPath; }

    // The id this process's pid namespace gives the thread the target calls
    // `tid`: a process in a container knows its threads (PyThreadState's
    // native_thread_id, threading's native_id) by its own namespace's ids,
    // while threads() and the report use the host's. The same id when the
    // namespaces are the same or the id is unknown.
    virtual std::int64_t hostThreadId(std::int64_t tid) const { return tid; }

    // As resolveModulePath, for a module whose build-id the target's memory
    // shows: a target that can fetch files by build-id (a core, with
    // $DEBUGINFOD_URLS) returns the fetched file when the resolved one is
    // missing or another build. ModuleIndex opens modules through this.
    virtual std::string resolveModuleFile(const std::string& mappedPath, const std::optional<std::string>& buildId)
    {
        (void)buildId;
        return resolveModulePath(mappedPath);
    }
};

}  // namespace pyautopsy::target
