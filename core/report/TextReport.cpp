#include "report/TextReport.h"

#include "report/AsyncioText.h"
#include "report/GreenletText.h"
#include "report/DiagnosisReport.h"
#include "report/ProcessStateText.h"
#include "report/SourceLines.h"
#include "snapshot/Syscalls.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

namespace pyautopsy::report {
namespace {

struct Palette {
    const char* bold = "";
    const char* dim = "";
    const char* red = "";
    const char* green = "";
    const char* yellow = "";
    const char* reset = "";
};

Palette palette(const TextOptions& options)
{
    if (!options.color) return {};
    return {"\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"};
}

const char* statusText(snapshot::ThreadStatus status)
{
    switch (status) {
    case snapshot::ThreadStatus::RunningPython: return "running Python";
    case snapshot::ThreadStatus::WaitingForGil: return "waiting for the GIL";
    case snapshot::ThreadStatus::InCCall: return "in a C call";
    case snapshot::ThreadStatus::Idle: return "idle";
    case snapshot::ThreadStatus::Detached: return "detached (GIL released: in a C call or waiting)";
    case snapshot::ThreadStatus::Unknown: break;
    }
    return nullptr;
}

// A frame's identity for collapsing runs: what its line says, without source or locals.
bool sameLine(const snapshot::Frame& a, const snapshot::Frame& b)
{
    return a.kind == b.kind && a.file == b.file && a.line == b.line && a.function == b.function &&
           a.calling == b.calling && a.startedGc == b.startedGc && (a.kind == snapshot::FrameKind::Python || a.address == b.address);
}

// The repeat count line traceback prints after the first kRecursiveCutoff
// lines of a run.
constexpr std::size_t kRecursiveCutoff = 3;

std::string repeatedLine(std::size_t count)
{
    const std::size_t more = count - kRecursiveCutoff;
    return fmt::format("  [Previous line repeated {} more time{}]\n", more, more > 1 ? "s" : "");
}


// formatFrame() appended to `out`: a --native stack before 3.11 is ~1,800
// lines, and a string per line, copied into the report, cost more than
// formatting them.
void appendFrame(std::string& out, const snapshot::Frame& f, const TextOptions& options)
{
    const Palette p = palette(options);
    auto to = std::back_inserter(out);
    if (f.kind == snapshot::FrameKind::Native) {
        const std::string_view file = f.file.empty() ? std::string_view("??") : std::string_view(f.file);
        if (f.function.empty())
            fmt::format_to(to, "  {}{:#018x} ?? ({}){}\n", p.dim, f.address.value_or(0), file, p.reset);
        else if (f.symbolOffset)
            fmt::format_to(to, "  {}{:#018x} {}+{:#x} ({}){}\n", p.dim, f.address.value_or(0), f.function,
                           *f.symbolOffset, file, p.reset);
        else
            fmt::format_to(to, "  {}{:#018x} {} ({}){}\n", p.dim, f.address.value_or(0), f.function, file, p.reset);
        return;
    }
    // The C callable the frame is calling, and a collection it started, sit on
    // the newer side of it, as libpython shows them: the callable next to it.
    // Newest first: the collection, then the callable; traceback order reverses both.
    auto appendCallAndGc = [&](bool gcFirst) {
        if (gcFirst && f.startedGc) out += "  Garbage-collecting\n";
        if (f.calling) fmt::format_to(to, "  {}\n", *f.calling);
        if (!gcFirst && f.startedGc) out += "  Garbage-collecting\n";
    };
    if (!options.mostRecentLast) appendCallAndGc(true);
    const std::string line = f.line ? std::to_string(*f.line) : std::string("?");
    fmt::format_to(to, "  File \"{}\", line {}, in {}{}{}\n", f.file, line, p.bold, f.function, p.reset);
    if (options.source && f.line) {
        auto source = sourceLine(f.file, *f.line, options.sourceNotAfter);
        if (source && !source->text.empty()) {
            fmt::format_to(to, "    {}\n", source->text);
            if (source->mayHaveChanged)
                fmt::format_to(to, "    {}(the file was modified after the process started: the source may have "
                                   "changed){}\n",
                               p.dim, p.reset);
        }
    }
    for (const auto& local : f.locals) fmt::format_to(to, "      {} = {}\n", local.name, local.repr);
    if (options.mostRecentLast) appendCallAndGc(false);
}

// `between()` runs after each frame's text: the streaming writer empties
// `out` there once it is large.
template <typename Between>
void appendFrames(std::string& out, const std::vector<const snapshot::Frame*>& frames, const TextOptions& options,
                  Between&& between)
{
    const snapshot::Frame* last = nullptr;
    std::size_t count = 0;
    for (const snapshot::Frame* frame : frames) {
        if (last == nullptr || !sameLine(*last, *frame)) {
            if (count > kRecursiveCutoff) out += repeatedLine(count);
            last = frame;
            count = 0;
        }
        if (++count > kRecursiveCutoff) continue;
        appendFrame(out, *frame, options);
        between();
    }
    if (count > kRecursiveCutoff) out += repeatedLine(count);
}

void nothingBetween() {}

// The streaming writer's buffer: pieces go to the sink once it holds kPiece.
class PieceWriter {
public:
    explicit PieceWriter(const TextSink& sink) : m_sink(sink) { m_out.reserve(kPiece + kPiece / 4); }
    std::string& out() { return m_out; }
    void flushIfLarge()
    {
        if (m_out.size() >= kPiece) flush();
    }
    void flush()
    {
        if (m_out.empty()) return;
        m_sink(m_out);
        m_out.clear();
    }

private:
    static constexpr std::size_t kPiece = 64 << 10;
    const TextSink& m_sink;
    std::string m_out;
};

}  // namespace

std::string formatFrames(const std::vector<const snapshot::Frame*>& frames, const TextOptions& options)
{
    std::string out;
    appendFrames(out, frames, options, nothingBetween);
    return out;
}

TextOptions withSourceReference(TextOptions options, const snapshot::Snapshot& snapshot)
{
    if (!options.sourceNotAfter) options.sourceNotAfter = sourceReferenceTime(snapshot.target);
    return options;
}

std::string formatProcessHeader(const snapshot::Snapshot& s, const TextOptions& options)
{
    const Palette p = palette(options);
    std::string out;
    std::string what = s.target.kind == "core" ? "Core file " + s.target.corePath + " of process" : "Process";
    out += fmt::format("{}{} {}{}", p.bold, what, s.target.pid ? std::to_string(*s.target.pid) : "?", p.reset);
    if (!s.target.executable.empty()) out += fmt::format(": {}", s.target.executable);
    out += "\n";
    if (!s.target.command.empty()) out += fmt::format("Command: {}\n", s.target.command);
    out += fmt::format("Python {}{}\n", s.python.version, s.python.debug ? " (debug build)" : "");
    if (s.forkedFrom) {
        const auto& origin = *s.forkedFrom;
        out += fmt::format("Forked from {}{}\n",
                           origin.parentPid ? fmt::format("pid {}", *origin.parentPid) : std::string("its parent"),
                           origin.processName ? fmt::format(" (multiprocessing \"{}\")", *origin.processName)
                                              : std::string());
    }
    if (s.target.signal) {
        const auto& sig = *s.target.signal;
        bool stopped = sig.name == "SIGSTOP" || sig.name == "SIGTSTP" || sig.name == "SIGTRAP";
        if (stopped)
            out += fmt::format("Dumped while stopped by {} ({}): a debugger's core (e.g. gcore), not a crash",
                               sig.name, sig.number);
        else
            out += fmt::format("{}Killed by {} ({}){}", p.red, sig.name, sig.number, p.reset);
        if (sig.address) out += fmt::format(" at address {:#x}", *sig.address);
        if (sig.senderPid) out += fmt::format(", sent by pid {}", *sig.senderPid);
        out += "\n";
    }
    for (const auto& warning : s.warnings) out += fmt::format("{}warning:{} {}\n", p.yellow, p.reset, warning);
    return out;
}

std::string formatThreadHeader(const snapshot::Thread& t, const TextOptions& options)
{
    const Palette p = palette(options);
    std::vector<std::string> facts;
    if (t.nativeId) facts.push_back(fmt::format("native {}", *t.nativeId));
    if (t.name) facts.push_back(fmt::format("\"{}\"", *t.name));
    if (t.main) facts.push_back("main thread");
    if (t.daemon && *t.daemon) facts.push_back("daemon");
    if (t.interpreterId != 0) facts.push_back(fmt::format("interpreter {}", t.interpreterId));
    if (t.holdsGil && *t.holdsGil) facts.push_back(fmt::format("{}holds the GIL{}", p.green, p.reset));
    if (t.crashed) facts.push_back(fmt::format("{}crashed{}", p.red, p.reset));
    if (t.garbageCollecting) facts.push_back("garbage-collecting");
    if (const char* status = statusText(t.status)) facts.push_back(status);
    if (t.syscall) {
        auto name = snapshot::syscallName(*t.syscall);
        facts.push_back(fmt::format("in syscall {}", name ? *name : std::to_string(*t.syscall)));
    }
    if (t.threadStateAddress == 0) facts.push_back("no Python thread state");
    std::string ident = t.threadId ? fmt::format("{:#x}", *t.threadId) : std::string("?");
    return fmt::format("{}Thread {}{} ({})\n", p.bold, ident, p.reset, fmt::join(facts, ", "));
}

std::string formatFrame(const snapshot::Frame& f, const TextOptions& options)
{
    std::string out;
    appendFrame(out, f, options);
    return out;
}

namespace {

template <typename Between>
void appendThread(std::string& out, const snapshot::Thread& t, const TextOptions& options, Between&& between)
{
    out += formatThreadHeader(t, options);
    if (t.frames.empty()) {
        out += "  (no Python frames)\n";
    } else {
        out += options.mostRecentLast ? "Traceback (most recent call last):\n" : "Stack (most recent call first):\n";
        std::vector<const snapshot::Frame*> order;
        std::size_t skipped = 0;
        for (std::size_t i = 0; i < t.frames.size(); ++i) {
            if (i >= options.firstFrame) order.push_back(&t.frames[i]);
            else if (t.frames[i].kind == snapshot::FrameKind::Python) ++skipped;
        }
        const std::string leftOut =
            skipped == 0 ? std::string()
                         : fmt::format("  ({} newer Python frame{} not shown: the backtrace starts at the selected "
                                       "frame)\n",
                                       skipped, skipped > 1 ? "s" : "");
        if (!options.mostRecentLast) out += leftOut;
        if (options.mostRecentLast) std::reverse(order.begin(), order.end());
        appendFrames(out, order, options, between);
        if (options.mostRecentLast) out += leftOut;
    }
    for (const auto& note : t.notes) fmt::format_to(std::back_inserter(out), "  note: {}\n", note);
    for (const auto& note : t.nativeNotes) fmt::format_to(std::back_inserter(out), "  note: {}\n", note);
    out += formatGreenlets(t.greenlets, options);
}

}  // namespace

std::string formatThread(const snapshot::Thread& t, const TextOptions& options)
{
    std::string out;
    appendThread(out, t, options, nothingBetween);
    return out;
}

void writeSnapshot(const snapshot::Snapshot& s, const diagnosis::Diagnosis& diagnosis, const TextOptions& givenOptions,
                   const TextSink& sink)
{
    const TextOptions options = withSourceReference(givenOptions, s);
    const SourceCheckScope oneLookPerFile;
    PieceWriter writer(sink);
    std::string& out = writer.out();
    out += formatProcessHeader(s, options);
    out += "\n" + formatDiagnosis(diagnosis, options.color) + "\n";
    out += formatProcessState(s);
    for (const auto& thread : s.threads) {
        out += "\n";
        appendThread(out, thread, options, [&] { writer.flushIfLarge(); });
        writer.flushIfLarge();
    }
    if (s.threads.empty()) out += "\nNo Python threads.\n";
    if (std::string tasks = formatAsyncio(s, options); !tasks.empty()) out += "\n" + tasks;
    if (std::string orphans = formatGreenletsWithoutThread(s, options); !orphans.empty()) out += "\n" + orphans;
    writer.flush();
}

std::string formatSnapshot(const snapshot::Snapshot& s, const diagnosis::Diagnosis& diagnosis,
                           const TextOptions& options)
{
    std::string out;
    writeSnapshot(s, diagnosis, options, [&](std::string_view piece) { out += piece; });
    return out;
}

}  // namespace pyautopsy::report
