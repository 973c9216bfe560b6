#include "batch/TreeFindings.h"

#include "target/BlockingFacts.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace pyautopsy::batch {
namespace {

using nlohmann::json;

const json* threadOf(const LiveProcess& p, int tid)
{
    if (!p.report.is_object() || !p.report.contains("threads")) return nullptr;
    for (const auto& t : p.report["threads"])
        if (t.is_object() && t.value("native_id", json()).is_number_integer() && t["native_id"].get<int>() == tid)
            return &t;
    return nullptr;
}

const json* mainThread(const LiveProcess& p)
{
    if (!p.report.is_object() || !p.report.contains("threads")) return nullptr;
    for (const auto& t : p.report["threads"])
        if (t.is_object() && t.value("main", false)) return &t;
    return nullptr;
}

std::string innermostPython(const json& thread)
{
    for (const auto& f : thread.value("frames", json::array())) {
        if (!f.is_object() || f.value("kind", "") != "python") continue;
        const std::string file = f.value("file", json()).is_string() ? f["file"].get<std::string>() : "?";
        const auto line = f.value("line", json());
        return fmt::format("{} ({}:{})", f.value("function", json()).is_string() ? f["function"].get<std::string>() : "?",
                           std::filesystem::path(file).filename().string(),
                           line.is_number_integer() ? std::to_string(line.get<int>()) : "?");
    }
    return "C code";
}

std::string threadText(const LiveProcess& p, int tid)
{
    const json* t = threadOf(p, tid);
    if (t == nullptr) return fmt::format("thread {}", tid);
    const auto name = t->value("name", json());
    return fmt::format("{} (native {}) at {}", name.is_string() ? "\"" + name.get<std::string>() + "\"" : "a thread",
                       tid, innermostPython(*t));
}

std::string processText(const LiveProcess& p)
{
    if (p.multiprocessingName) return fmt::format("process {} \"{}\"", p.pid, *p.multiprocessingName);
    const std::string program = p.command.substr(0, p.command.find(' '));
    return fmt::format("process {} ({})", p.pid, std::filesystem::path(program).filename().string());
}

const json* findingOf(const LiveProcess& p, const char* id)
{
    if (!p.report.is_object() || !p.report.contains("diagnoses")) return nullptr;
    for (const auto& d : p.report["diagnoses"])
        if (d.is_object() && d.value("id", "") == id) return &d;
    return nullptr;
}

bool anyRunning(const LiveProcess& p)
{
    return std::any_of(p.calls.begin(), p.calls.end(), [](const BlockedCall& c) { return c.running; });
}

struct Hang {
    bool deadlocked = false;
    std::string text;
};

// Why `child` will not exit on its own, if its facts say so.
std::optional<Hang> hangOf(const LiveProcess& child)
{
    if (child.status != LiveStatus::Analysed) return std::nullopt;
    if (const json* deadlock = findingOf(child, "deadlock")) {
        std::string summary = deadlock->value("summary", std::string("deadlock"));
        if (!summary.empty() && summary.back() == '.') summary.pop_back();   // it ends our sentence
        return Hang{true, fmt::format("is deadlocked: {}", summary)};
    }
    if (child.calls.empty() || anyRunning(child)) return std::nullopt;
    const json* main = mainThread(child);
    std::string where = main ? innermostPython(*main) : std::string("an unknown place");
    if (main && main->value("syscall", json()).is_object() && (*main)["syscall"].value("name", json()).is_string())
        where += fmt::format(", in the system call {}", (*main)["syscall"]["name"].get<std::string>());
    return Hang{false, fmt::format("is blocked with no thread running (main thread at {})", where)};
}

bool inPopenWait(const json& thread)
{
    for (const auto& f : thread.value("frames", json::array())) {
        if (!f.is_object() || f.value("kind", "") != "python" || !f.value("file", json()).is_string()) continue;
        const std::string fn = f.value("function", json()).is_string() ? f["function"].get<std::string>() : "";
        if ((fn == "wait" || fn == "poll") && f["file"].get<std::string>().find("multiprocessing/popen_") != std::string::npos)
            return true;
    }
    return false;
}

// The children (indexes) `p`'s thread `call` waits for to exit; empty when it waits for none.
std::vector<std::size_t> waitedChildren(const TreeResult& tree, const LiveProcess& p, const BlockedCall& call)
{
    std::optional<long> pid;  // 0: any child
    if (call.number == target::kSysWait4) {
        const auto arg = static_cast<long>(static_cast<std::int32_t>(call.args[0]));
        pid = arg > 0 ? arg : 0;
    } else if (call.number == target::kSysWaitid) {
        pid = call.args[0] == 1 /* P_PID */ ? static_cast<long>(call.args[1]) : 0;
    } else if (const json* t = threadOf(p, call.tid); t && !call.running && inPopenWait(*t)) {
        pid = 0;   // multiprocessing waits on a child; which one needs its locals
    }
    std::vector<std::size_t> out;
    if (!pid) return out;
    for (std::size_t i = 0; i < tree.processes.size(); ++i) {
        const auto& child = tree.processes[i];
        if (child.ppid == p.pid && (*pid == 0 || child.pid == *pid)) out.push_back(i);
    }
    return out;
}

// Processes other than `reader` holding a write end of pipe `inode`.
std::vector<std::size_t> writersOf(const TreeResult& tree, std::uint64_t inode, int reader)
{
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < tree.processes.size(); ++i) {
        const auto& p = tree.processes[i];
        if (p.pid == reader) continue;
        if (std::any_of(p.pipes.begin(), p.pipes.end(), [&](const PipeHold& h) { return h.inode == inode && h.writable; }))
            out.push_back(i);
    }
    return out;
}

const PipeHold* readPipe(const LiveProcess& p, const BlockedCall& call)
{
    if (call.running || call.number != target::kSysRead) return nullptr;
    for (const auto& h : p.pipes)
        if (h.fd == static_cast<int>(call.args[0]) && h.readable) return &h;
    return nullptr;
}

// How `w` is blocked on process `on` (the reader), if every thread of `w`
// that could act is: one waits for it to exit, or reads a pipe only it writes.
std::optional<std::string> blockedOn(const TreeResult& tree, const LiveProcess& w, const LiveProcess& on)
{
    if (w.calls.empty() || anyRunning(w)) return std::nullopt;
    for (const auto& call : w.calls) {
        for (auto c : waitedChildren(tree, w, call))
            if (tree.processes[c].pid == on.pid)
                return fmt::format("{} waits for {} to exit", threadText(w, call.tid), processText(on));
        if (const PipeHold* pipe = readPipe(w, call)) {
            auto writers = writersOf(tree, pipe->inode, w.pid);
            if (writers.size() == 1 && tree.processes[writers[0]].pid == on.pid)
                return fmt::format("{} reads pipe:[{}] (fd {}), which only {} can write", threadText(w, call.tid),
                                   pipe->inode, pipe->fd, processText(on));
        }
    }
    return std::nullopt;
}

void waitsOnHungChild(const TreeResult& tree, std::vector<TreeFinding>& out)
{
    std::set<std::pair<int, int>> named;
    for (const auto& p : tree.processes) {
        if (p.status != LiveStatus::Analysed) continue;
        for (const auto& call : p.calls) {
            for (auto c : waitedChildren(tree, p, call)) {
                const auto& child = tree.processes[c];
                auto hang = hangOf(child);
                if (!hang || !named.insert({p.pid, child.pid}).second) continue;
                TreeFinding f;
                f.id = "waits-on-hung-child";
                f.severity = hang->deadlocked ? "error" : "warning";
                f.pids = {p.pid, child.pid};
                const std::string waiter = fmt::format("{}: {}", processText(p), threadText(p, call.tid));
                f.summary = fmt::format("{} waits for its child {} to exit, and the child {}.", processText(p),
                                        processText(child), hang->text);
                f.evidence.push_back(waiter + fmt::format(" waits for {} to exit", processText(child)));
                f.evidence.push_back(fmt::format("{} {}", processText(child), hang->text));
                f.advice = hang->deadlocked
                               ? "Fix the child's deadlock (see its own report); join children with a timeout and "
                                 "terminate() them when it expires, so a hung child fails the run with a traceback."
                               : "Find out what the child waits for (its report shows every thread); join children "
                                 "with a timeout and terminate() them when it expires.";
                out.push_back(std::move(f));
            }
        }
    }
}

void pipeWaitCycles(const TreeResult& tree, std::vector<TreeFinding>& out)
{
    for (const auto& reader : tree.processes) {
        if (reader.status != LiveStatus::Analysed) continue;
        for (const auto& call : reader.calls) {
            const PipeHold* pipe = readPipe(reader, call);
            if (pipe == nullptr) continue;
            const auto writers = writersOf(tree, pipe->inode, reader.pid);
            if (writers.empty()) continue;
            std::vector<std::string> how;
            for (auto w : writers) {
                auto blocked = blockedOn(tree, tree.processes[w], reader);
                if (!blocked) break;
                how.push_back(*blocked);
            }
            if (how.size() != writers.size()) continue;
            TreeFinding f;
            f.id = "pipe-wait-cycle";
            f.severity = "error";
            f.pids = {reader.pid};
            std::vector<std::string> names;
            for (auto w : writers) {
                f.pids.push_back(tree.processes[w].pid);
                names.push_back(processText(tree.processes[w]));
            }
            f.summary = fmt::format("{} waits to read a pipe that only {} can write, and {} blocked on it: neither "
                                    "can go on.", processText(reader), fmt::join(names, " and "),
                                    writers.size() == 1 ? "that process is" : "they are");
            f.evidence.push_back(fmt::format("{}: {} reads pipe:[{}] (fd {})", processText(reader),
                                             threadText(reader, call.tid), pipe->inode, pipe->fd));
            for (const auto& h : how) f.evidence.push_back(h);
            if (std::any_of(reader.pipes.begin(), reader.pipes.end(),
                            [&](const PipeHold& h) { return h.inode == pipe->inode && h.writable; }))
                f.evidence.push_back(fmt::format("{} holds a write end of the pipe too (a Queue or Pipe made before "
                                                 "the process started keeps both ends), but its reading thread "
                                                 "cannot write", processText(reader)));
            f.advice = "Send what the reader waits for (or close the writing end, or put a sentinel) before "
                       "joining or reading in the other process; use get()/recv() with a timeout in tests.";
            out.push_back(std::move(f));
        }
    }
}

}  // namespace

std::vector<TreeFinding> findTreeFindings(const TreeResult& tree)
{
    std::vector<TreeFinding> findings;
    waitsOnHungChild(tree, findings);
    pipeWaitCycles(tree, findings);
    std::stable_sort(findings.begin(), findings.end(),
                     [](const TreeFinding& a, const TreeFinding& b) { return a.severity == "error" && b.severity != "error"; });
    return findings;
}

}  // namespace pyautopsy::batch
