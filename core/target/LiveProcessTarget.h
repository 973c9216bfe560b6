// LiveProcessTarget: a Target over a running Linux process, read through /proc
// and ptrace and never written.
//
// With stopThreads (the default) every thread is held stopped by a
// ProcessStopper from freeze() until resume() or destruction, so memory,
// registers and threads form one consistent snapshot and reads go through a
// page cache; reads before freeze() (binaries, static data) are uncached. With stopThreads=false the process keeps running: no registers,
// no cache, and each read sees the memory of its own moment (CPython
// structures may then be torn; walkers must expect that).
#pragma once

#include "target/Target.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target {

struct LiveOptions {
    bool stopThreads = true;
    // The longest the process may be held stopped: past it, the next read lets
    // it go and the rest is read from the running process (a warning says
    // so); HoldWatchdog bounds it even when pyautopsy itself is frozen.
    std::chrono::milliseconds maxStop{1000};
};

class LiveProcessTarget : public Target {
public:
    // Throws pyautopsy::Error(System, "cannot attach to PID: ...") when the
    // process does not exist or may not be traced.
    static std::unique_ptr<LiveProcessTarget> attach(int pid, const LiveOptions& options);
    ~LiveProcessTarget() override;  // resumes the process

    std::string_view kind() const override { return "process"; }
    void freeze() override;
    // A target that will hold its threads stopped from freeze() wants the
    // walk rehearsed first, while the process runs: it notes which pages the
    // rehearsal reads and copies them in a few system calls once stopped, so
    // that the walk under the stop seldom waits for one. The rehearsal's
    // result is thrown away. beginRehearsal() says whether to rehearse.
    bool beginRehearsal();
    void endRehearsal();
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override;
    const ProcessInfo& process() const override;
    const std::vector<ThreadInfo>& threads() const override;
    const std::vector<Mapping>& mappings() const override;
    // The mapped path if it exists here; else the process's own view of it
    // (/proc/PID/root/<path> for another mount namespace, then
    // /proc/PID/map_files/<range> for a deleted or replaced file).
    std::string resolveModulePath(const std::string& mappedPath) const override;
    std::int64_t hostThreadId(std::int64_t tid) const override;

    // Lets the process run again now (before destruction); reads still work,
    // uncached, and registers stay as they were captured.
    void resume();
    // After resume(): how long the process was held stopped (see
    // ProcessStopper::stoppedFor); nullopt before, or when it was never stopped.
    std::optional<std::chrono::nanoseconds> stoppedFor() const;
    // The part of stoppedFor() that pyautopsy's thread spent on the CPU.
    std::optional<std::chrono::nanoseconds> cpuWhileStopped() const;
    // What the report must say about how it was read: a hold cut short.
    const std::vector<std::string>& warnings() const;

private:
    struct Impl;
    explicit LiveProcessTarget(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pyautopsy::target
