#include "runtime/stdlib/ForkOriginReader.h"

#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ModuleLookup.h"

#include <fmt/format.h>

#include <string_view>

namespace pyautopsy::runtime {
namespace {

bool endsWith(std::string_view text, std::string_view tail)
{
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

const snapshot::Thread* mainOf(const snapshot::Snapshot& s)
{
    for (const auto& t : s.threads)
        if (t.main) return &t;
    return nullptr;
}

// The frame of multiprocessing's fork start method that called os.fork():
// the child returns from that call and runs the Process from there.
std::optional<std::string> forkLaunchFrame(const snapshot::Thread& main)
{
    for (const auto& f : main.frames) {
        if (f.kind != snapshot::FrameKind::Python || f.function != "_launch") continue;
        if (!endsWith(f.file, "/popen_fork.py")) continue;
        return fmt::format("{} ({}:{})", f.qualname.value_or(f.function), f.file,
                           f.line ? std::to_string(*f.line) : std::string("?"));
    }
    return std::nullopt;
}

struct MultiprocessingRecord {
    std::optional<int> parentPid;
    std::optional<std::string> name;
};

// multiprocessing.process._current_process: the Process object this process
// runs (a _MainProcess, with no parent, in a process multiprocessing did not start).
MultiprocessingRecord readCurrentProcess(const ObjectReader& reader, std::uint64_t interp)
{
    MultiprocessingRecord out;
    auto globals = moduleGlobals(reader, interp, "multiprocessing.process");
    if (!globals) return out;
    auto current = DictReader(reader).findStr(*globals, "_current_process");
    if (!current) return out;
    InstanceAttributes attributes(reader);
    if (auto parent = attributes.find(*current, "_parent_pid")) {
        if (auto pid = reader.readSmallInt(*parent); pid && *pid > 0 && *pid <= 0x7fffffff)
            out.parentPid = static_cast<int>(*pid);
    }
    if (auto name = attributes.find(*current, "_name")) out.name = reader.readString(*name);
    return out;
}

}  // namespace

std::optional<snapshot::ForkOrigin> readForkOrigin(const ObjectReader& reader, std::uint64_t mainInterpreter,
                                                   const ThreadingState& threading, const snapshot::Snapshot& snap,
                                                   std::vector<std::string>& notes)
{
    const snapshot::Thread* main = mainOf(snap);
    if (!main) return std::nullopt;
    snapshot::ForkOrigin origin;
    std::vector<std::string> how;

    if (auto launch = forkLaunchFrame(*main)) {
        MultiprocessingRecord record;
        try {
            record = readCurrentProcess(reader, mainInterpreter);
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("multiprocessing.process._current_process unreadable: {}", fault.what()));
        }
        origin.forkCall = *launch;
        origin.parentPid = record.parentPid;
        origin.processName = record.name;
        how.push_back(fmt::format("multiprocessing forked it (fork start method): its main thread returned from "
                                  "the parent's os.fork() in {}{}", *launch,
                                  record.parentPid ? fmt::format(", and its Process records the parent pid {}",
                                                                 *record.parentPid)
                                                   : std::string()));
    }

    const auto pid = snap.target.pid;
    if (pid && main->threadId) {
        auto it = threading.byIdent.find(*main->threadId);
        if (it != threading.byIdent.end() && it->second.nativeId && *it->second.nativeId != *pid) {
            origin.forkingThreadNativeId = *it->second.nativeId;
            how.push_back(fmt::format("threading.main_thread() records the native id {} it had in the process that "
                                      "called fork(); here it runs as pid {}", *it->second.nativeId, *pid));
            if (!origin.parentPid && snap.target.ppid && *snap.target.ppid == *it->second.nativeId)
                origin.parentPid = *snap.target.ppid;
        }
    }
    if (snap.target.forkedWithoutExec.value_or(false)) {
        how.push_back("the kernel marks it as made by fork() and never exec'd since (PF_FORKNOEXEC), so it runs "
                      "a copy of its parent's Python program");
        // The parent at the time of the snapshot: one that has died leaves
        // its children to init (pid 1) or a subreaper, which forked nothing.
        if (!origin.parentPid && snap.target.ppid && *snap.target.ppid > 1 &&
            (!origin.forkingThreadNativeId || *origin.forkingThreadNativeId == *snap.target.ppid))
            origin.parentPid = *snap.target.ppid;
    }
    if (how.empty()) return std::nullopt;
    origin.how = fmt::format("{}", fmt::join(how, "; "));
    return origin;
}

}  // namespace pyautopsy::runtime
