#include "report/ProcessStateText.h"

#include "diagnosis/LockQueries.h"
#include "report/ProcessStateJson.h"

#include <fmt/format.h>

#include <vector>

namespace pyautopsy::report {
namespace {

std::string threadName(const snapshot::Snapshot& s, std::optional<std::uint64_t> ident)
{
    if (!ident) return "an unknown thread";
    for (const auto& t : s.threads) {
        if (t.threadId == ident) {
            std::string what = t.main ? "the main thread" : t.name ? fmt::format("thread \"{}\"", *t.name) : "thread";
            return fmt::format("{} {:#x}", what, *ident);
        }
    }
    return fmt::format("thread {:#x}", *ident);
}

std::string runtimeLine(const snapshot::Snapshot& s)
{
    const auto& r = s.runtime;
    std::vector<std::string> parts;
    if (r.finalizing.value_or(false)) {
        parts.push_back(fmt::format("finalizing (Py_FinalizeEx run by {})", threadName(s, r.finalizingThreadId)));
    } else if (r.initialized) {
        parts.push_back(*r.initialized ? "initialized" : "not initialized");
    }
    if (r.cAtexitCount && *r.cAtexitCount > 0) parts.push_back(fmt::format("{} Py_AtExit function(s)", *r.cAtexitCount));
    if (parts.empty()) return {};
    return fmt::format("Runtime: {}\n", fmt::join(parts, ", "));
}

std::string gcText(const snapshot::GcState& gc)
{
    std::vector<std::string> gens;
    for (const auto& g : gc.generations)
        gens.push_back(fmt::format("{}/{}", g.count ? std::to_string(*g.count) : "?",
                                   g.threshold ? std::to_string(*g.threshold) : "?"));
    std::string out = fmt::format("GC {}{}", gc.kind.empty() ? "" : gc.kind + " ",
                                  gc.enabled ? (*gc.enabled ? "enabled" : "disabled") : "?");
    if (!gens.empty()) out += fmt::format(" (count/threshold {})", fmt::join(gens, " "));
    if (gc.collecting.value_or(false)) {
        out += ", COLLECTING";
        if (gc.collectingFunction) out += fmt::format(" (started in {})", *gc.collectingFunction);
    }
    return out;
}

std::string atexitText(const snapshot::AtexitState& a)
{
    std::vector<std::string> names;
    for (const auto& cb : a.callbacks) {
        std::string name = cb.qualname.value_or("<" + cb.kind + ">");
        if (cb.module) name = *cb.module + "." + name;
        names.push_back(name);
    }
    std::string out = fmt::format("atexit {}", atexitStatusName(a.status));
    if (!names.empty()) out += fmt::format(": {}", fmt::join(names, ", "));
    return out;
}

std::string interpreterLine(const snapshot::Interpreter& interp)
{
    const auto& st = interp.state;
    std::vector<std::string> parts;
    if (st.finalizing.value_or(false)) parts.push_back("finalizing");
    if (st.modulesCount) parts.push_back(fmt::format("{} modules", *st.modulesCount));
    if (st.recursionLimit) parts.push_back(fmt::format("recursion limit {}", *st.recursionLimit));
    if (st.gc) parts.push_back(gcText(*st.gc));
    if (st.atexit) parts.push_back(atexitText(*st.atexit));
    if (!st.monitoringTools.empty()) {
        std::vector<std::string> tools;
        for (const auto& t : st.monitoringTools) tools.push_back(fmt::format("{}={}", t.id, t.name));
        parts.push_back(fmt::format("sys.monitoring tools {}", fmt::join(tools, " ")));
    }
    if (parts.empty()) return {};
    return fmt::format("Interpreter {}: {}\n", interp.id, fmt::join(parts, "; "));
}

std::string singletonsLine(const snapshot::RuntimeState& r)
{
    std::vector<std::string> parts;
    bool allImmortal = true;
    for (const auto& o : r.singletons) {
        if (!o.refcount) continue;
        allImmortal = allImmortal && o.immortal;
        parts.push_back(o.immortal ? fmt::format("{} immortal", o.name) : fmt::format("{} {}", o.name, *o.refcount));
    }
    if (parts.empty()) return {};
    if (allImmortal) return "Refcounts: all singletons immortal\n";
    return fmt::format("Refcounts: {}\n", fmt::join(parts, ", "));
}

std::string hookText(const char* what, const snapshot::TraceHook& hook)
{
    std::string fn = hook.symbol ? *hook.symbol : fmt::format("{:#x}", hook.function);
    if (hook.objectType) return fmt::format("{} {}({})", what, fn, *hook.objectType);
    return fmt::format("{} {}", what, fn);
}

std::string hooksLines(const snapshot::Snapshot& s)
{
    std::string out;
    for (const auto& t : s.threads) {
        std::vector<std::string> parts;
        if (t.hooks.trace) parts.push_back(hookText("trace", *t.hooks.trace));
        if (t.hooks.profile) parts.push_back(hookText("profile", *t.hooks.profile));
        if (parts.empty()) continue;
        std::string ident = t.threadId ? fmt::format("{:#x}", *t.threadId) : std::string("?");
        out += fmt::format("Tracing: thread {}{}: {}\n", ident, t.name ? " \"" + *t.name + "\"" : std::string(),
                           fmt::join(parts, ", "));
    }
    return out;
}

// Locks: thread 0x... "worker-A": holds lock_a (_thread.lock at 0x...), waits for lock_b (...)
std::string locksLines(const snapshot::Snapshot& s)
{
    std::string out;
    for (const auto& t : s.threads) {
        std::vector<std::string> parts;
        for (const auto& hold : t.locksHeld) parts.push_back("holds " + diagnosis::lockText(s, hold.lock));
        if (t.waitsFor) parts.push_back("waits for " + diagnosis::lockText(s, t.waitsFor->lock));
        if (parts.empty()) continue;
        std::string ident = t.threadId ? fmt::format("{:#x}", *t.threadId) : std::string("?");
        out += fmt::format("Locks: thread {}{}: {}\n", ident, t.name ? " \"" + *t.name + "\"" : std::string(),
                           fmt::join(parts, ", "));
    }
    return out;
}

std::string childrenLine(const snapshot::ChildProcesses& children)
{
    std::vector<std::string> parts;
    for (const auto& c : children.processes) {
        std::vector<std::string> facts;
        if (c.multiprocessing) {
            const auto& m = *c.multiprocessing;
            facts.push_back(fmt::format("multiprocessing {}", m.name ? "\"" + *m.name + "\"" : std::string("Process")));
            if (m.daemon) facts.push_back(*m.daemon ? "daemon" : "not daemon");
            if (m.exitcode) facts.push_back(fmt::format("exit code {}", *m.exitcode));
        }
        if (c.state) facts.push_back(fmt::format("{} ({})", *c.state, snapshot::kernelStateName(*c.state)));
        std::string part = fmt::format("{}", c.pid);
        if (!facts.empty()) part += fmt::format(" ({})", fmt::join(facts, ", "));
        if (c.command && !c.command->empty()) part += ": " + *c.command;
        parts.push_back(part);
    }
    if (parts.empty()) return {};
    return fmt::format("Child processes: {}\n", fmt::join(parts, "; "));
}

}  // namespace

std::string formatProcessState(const snapshot::Snapshot& s)
{
    std::string out = runtimeLine(s);
    for (const auto& interp : s.interpreters) out += interpreterLine(interp);
    out += singletonsLine(s.runtime);
    out += hooksLines(s);
    out += locksLines(s);
    out += childrenLine(s.children);
    return out;
}

}  // namespace pyautopsy::report
