// LiveProcessTarget: a Target over a running Linux process, read through /proc
// and ptrace and never written.
//
// With stopThreads (the default), walks (Target::beginWalk) go in rounds, so
// that the process is held stopped as briefly as possible and the report is
// still one consistent moment:
//  1. a rehearsal while it runs: which pages does a walk read? (never consistent)
//  2. a stop: every thread held by a ProcessStopper, its registers taken,
//     the rehearsed pages copied in a few system calls; then it runs again
//     and the walk reads the copy. Consistent if it needed no page beyond it;
//     else the pages it read are the next copy's (up to kCopyWalks copies).
//  3. if copies keep missing pages: held stopped for the whole walk, until
//     resume() or destruction.
// A stop cut short (the stop limit, Ctrl-Z) is said in warnings() and ends
// the rounds. Reads before the first walk (binaries, static data) are
// uncached. With stopThreads=false the process keeps running: no registers,
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
    void beginWalk() override;
    bool walkWasConsistent() const override;
    // Stops every thread now and holds them until resume() (what the last
    // round of walks does); nothing when already stopped or resumed.
    void freeze();
    static constexpr int kCopyWalks = 2;
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override;
    const ProcessInfo& process() const override;
    const std::vector<ThreadInfo>& threads() const override;
    const std::vector<Mapping>& mappings() const override;
    // The mapped path if it exists here; else the process's own view of it
    // (/proc/PID/root/<path> for another mount namespace, then
    // /proc/PID/map_files/<range> for a deleted or replaced file).
    std::string resolveModulePath(const std::string& mappedPath) const override;
    std::int64_t hostThreadId(std::int64_t tid) const override;

    // Lets the process run again now (before destruction), and never stops it
    // again; reads still work, uncached, and registers stay as they were captured.
    void resume();
    // How long the process was held stopped, all stops together (each as
    // ProcessStopper::stoppedFor counts it); nullopt when it never was.
    std::optional<std::chrono::nanoseconds> stoppedFor() const;
    int stops() const;
    std::chrono::nanoseconds longestStop() const;
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
