#include "batch/TreeCapture.h"

#include "batch/Grouping.h"
#include "batch/Signature.h"
#include "batch/TreeFindings.h"
#include "report/JsonReport.h"
#include "support/Error.h"
#include "target/BlockingFacts.h"
#include "target/LiveProcessTarget.h"
#include "target/ProcessList.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace pyautopsy::batch {
namespace {

using Clock = std::chrono::steady_clock;

LiveProcess fromListing(const target::ProcessEntry& entry)
{
    LiveProcess p;
    p.pid = entry.pid;
    p.ppid = entry.ppid;
    p.pgrp = entry.pgrp;
    p.depth = entry.depth;
    p.state = entry.state;
    p.command = entry.command;
    const target::BlockingFacts facts = target::readBlockingFacts(entry.pid);
    for (const auto& t : facts.threads) p.calls.push_back({t.tid, t.running, t.number, t.args});
    for (const auto& pipe : facts.pipes) p.pipes.push_back({pipe.fd, pipe.inode, pipe.readable, pipe.writable});
    return p;
}

bool stillThere(int pid)
{
    auto entry = target::readProcessEntry(pid);
    return entry && entry->state != "Z" && entry->state != "X";
}

// One process, as `pyautopsy pid PID` reads it: attach, stop, walk, let go.
void analyse(LiveProcess& p, const TreeCaptureOptions& options)
{
    const auto start = Clock::now();
    if (p.state == "Z") {
        p.status = LiveStatus::Exited;
        p.reason = "a zombie: it exited and its parent has not reaped it";
        return;
    }
    try {
        engine::Report report;
        {
            target::LiveOptions hold = options.live;
            hold.stopThreads = true;
            auto process = target::LiveProcessTarget::attach(p.pid, hold);
            engine::AnalysisOptions live = options.analysis;
            live.keepStopShort = true;
            report = engine::analyzeAndDiagnose(*process, live);
            process->resume();
            if (auto stopped = process->stoppedFor())
                p.stoppedMs = std::chrono::duration<double, std::milli>(*stopped).count();
            if (auto cpu = process->cpuWhileStopped())
                p.stoppedCpuMs = std::chrono::duration<double, std::milli>(*cpu).count();
        }
        p.report = report::toJson(report.snapshot, report.diagnosis);
        p.text = report::formatSnapshot(report.snapshot, report.diagnosis, options.text);
        p.status = LiveStatus::Analysed;
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NoRuntime || e.kind() == ErrorKind::Unsupported) {
            p.status = LiveStatus::NotPython;
        } else {
            p.status = stillThere(p.pid) ? LiveStatus::Failed : LiveStatus::Exited;
        }
        p.reason = e.what();
    } catch (const std::exception& e) {
        p.status = stillThere(p.pid) ? LiveStatus::Failed : LiveStatus::Exited;
        p.reason = e.what();
    }
    if (p.status == LiveStatus::Exited) p.reason = "exited while the tree was read (" + p.reason + ")";
    p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
}

// The multiprocessing.Process each child was started by, from its parent's report.
void nameChildren(TreeResult& tree)
{
    std::map<int, std::size_t> byPid;
    for (std::size_t i = 0; i < tree.processes.size(); ++i) byPid[tree.processes[i].pid] = i;
    for (const auto& parent : tree.processes) {
        const auto& children = parent.report.is_object() ? parent.report.value("children", nlohmann::json())
                                                         : nlohmann::json();
        if (!children.is_object() || !children.contains("processes")) continue;
        for (const auto& child : children["processes"]) {
            const auto pid = child.value("pid", 0);
            const auto& mp = child.value("multiprocessing", nlohmann::json());
            auto it = byPid.find(pid);
            if (it == byPid.end() || !mp.is_object() || !mp.value("name", nlohmann::json()).is_string()) continue;
            tree.processes[it->second].multiprocessingName = mp["name"].get<std::string>();
        }
    }
}

}  // namespace

TreeResult captureTree(int root, const TreeCaptureOptions& options)
{
    const auto start = Clock::now();
    TreeResult tree;
    tree.root = root;
    tree.rootListed = options.includeRoot;
    const target::ProcessTreeListing listing = target::listProcessTree(root, options.includeRoot, options.limits);
    if (options.includeRoot && listing.processes.empty())
        throw Error(ErrorKind::System, fmt::format("cannot attach to PID {}: no such process", root));
    tree.notes = listing.notes;

    std::map<int, std::size_t> byPid;
    for (const auto& entry : listing.processes) {
        byPid[entry.pid] = tree.processes.size();
        tree.processes.push_back(fromListing(entry));
    }
    for (std::size_t i = 0; i < tree.processes.size(); ++i) {
        auto it = byPid.find(tree.processes[i].ppid);
        if (it == byPid.end()) continue;
        tree.processes[i].parent = it->second;
        tree.processes[it->second].children.push_back(i);
    }

    for (auto& p : tree.processes) {
        analyse(p, options);
        if (p.status == LiveStatus::Exited) tree.notes.push_back(fmt::format("process {} {}", p.pid, p.reason));
    }
    tree.seconds = std::chrono::duration<double>(Clock::now() - start).count();

    nameChildren(tree);
    std::vector<const nlohmann::json*> reports;
    for (const auto& p : tree.processes) reports.push_back(&p.report);
    std::vector<std::string> keys;
    tree.groups = groupReports(reports, keys);
    // Equal sizes: a group with a diagnosis (the deadlocked child) before the
    // processes nothing is known to be wrong with (a sleeper, the resource tracker).
    std::stable_sort(tree.groups.begin(), tree.groups.end(), [](const Group& a, const Group& b) {
        const bool aKnown = a.findingId != kNoDiagnosis, bKnown = b.findingId != kNoDiagnosis;
        return a.members.size() != b.members.size() ? a.members.size() > b.members.size() : aKnown && !bKnown;
    });
    for (std::size_t i = 0; i < keys.size(); ++i) tree.processes[i].signature = keys[i];
    tree.findings = findTreeFindings(tree);
    return tree;
}

}  // namespace pyautopsy::batch
