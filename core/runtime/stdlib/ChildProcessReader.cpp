#include "runtime/stdlib/ChildProcessReader.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ContainerItems.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ModuleLookup.h"

#include <fmt/format.h>

#include <limits>
#include <map>

namespace pyautopsy::runtime {
namespace {

// One Process object of _children; nullopt when it was never started (no
// _popen), its Popen has no pid, or another process started it (a plain
// os.fork() copies _children; _parent_pid names the process that may join it).
std::optional<std::pair<int, snapshot::MultiprocessingProcess>> readProcess(const ObjectReader& reader,
                                                                          const InstanceAttributes& attributes,
                                                                          std::uint64_t process,
                                                                          std::optional<int> ownPid)
{
    DictReader dicts(reader);
    const DictItems attrs = attributes.all(process, reader.limits().maxContainerItems);
    if (auto parent = dicts.findStr(attrs, "_parent_pid"); parent && ownPid) {
        auto parentPid = reader.readSmallInt(*parent);
        if (parentPid && *parentPid != *ownPid) return std::nullopt;
    }
    auto popen = dicts.findStr(attrs, "_popen");
    if (!popen) return std::nullopt;
    auto pidObject = attributes.find(*popen, "pid");
    auto pid = pidObject ? reader.readSmallInt(*pidObject) : std::nullopt;
    if (!pid || *pid <= 0 || *pid > std::numeric_limits<int>::max()) return std::nullopt;

    snapshot::MultiprocessingProcess mp;
    mp.address = process;
    if (auto name = dicts.findStr(attrs, "_name")) mp.name = reader.readString(*name);
    if (auto config = dicts.findStr(attrs, "_config");
        config && (reader.typeFlags(reader.typeOf(*config)) & encoding::kTpFlagsDictSubclass) != 0) {
        // Process.daemon is _config.get('daemon', False); a bool is an int.
        auto daemon = dicts.findStr(*config, "daemon");
        if (!daemon) mp.daemon = false;
        else if (auto value = reader.readSmallInt(*daemon)) mp.daemon = *value != 0;
    }
    if (auto code = attributes.find(*popen, "returncode")) {
        if (auto value = reader.readSmallInt(*code)) mp.exitcode = static_cast<int>(*value);   // None: still running
    }
    mp.popenType = reader.typeNameOf(*popen);
    return std::make_pair(static_cast<int>(*pid), mp);
}

void readMultiprocessingChildren(const ObjectReader& reader, std::uint64_t interp,
                                 std::map<int, snapshot::ChildProcess>& byPid, std::vector<std::string>& notes)
{
    auto globals = moduleGlobals(reader, interp, "multiprocessing.process");
    if (!globals) return;   // multiprocessing never used: no Process objects to find
    auto children = DictReader(reader).findStr(*globals, "_children");
    if (!children) return;
    if (reader.typeNameOf(*children) != std::optional<std::string>("set")) {
        notes.push_back("multiprocessing.process._children is not a set");
        return;
    }
    const std::size_t limit = reader.limits().maxContainerItems;
    const std::vector<std::uint64_t> items = setItems(reader, *children, limit);
    if (items.size() == limit)
        notes.push_back(fmt::format("multiprocessing.process._children: only the first {} entries read", limit));
    InstanceAttributes attributes(reader);
    for (std::uint64_t process : items) {
        try {
            auto read = readProcess(reader, attributes, process, reader.memory().target().process().pid);
            if (!read) continue;
            auto& child = byPid[read->first];
            child.pid = read->first;
            child.multiprocessing = read->second;
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("multiprocessing.Process at {:#x} unreadable: {}", process, fault.what()));
        }
    }
}

}  // namespace

snapshot::ChildProcesses readChildProcesses(const ObjectReader& reader, const target::Target& target,
                                            const std::vector<std::uint64_t>& interps)
{
    snapshot::ChildProcesses out;
    std::map<int, snapshot::ChildProcess> byPid;
    if (const auto& listed = target.process().children) {
        out.kernelListed = true;
        for (const auto& info : *listed) {
            auto& child = byPid[info.pid];
            child.pid = info.pid;
            child.listedByKernel = true;
            child.state = info.state;
            child.command = info.command;
        }
    }
    for (std::uint64_t interp : interps) {
        try {
            readMultiprocessingChildren(reader, interp, byPid, out.notes);
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("multiprocessing state unreadable: {}", fault.what()));
        }
    }
    for (auto& [pid, child] : byPid) out.processes.push_back(std::move(child));
    return out;
}

}  // namespace pyautopsy::runtime
