#include "Commands.h"

#include "Session.h"
#include "SourceListing.h"

#include "report/AsyncioText.h"
#include "report/GreenletText.h"
#include "report/DiagnosisReport.h"
#include "report/JsonReport.h"
#include "report/JsonValue.h"
#include "report/NameLookup.h"
#include "report/ProcessStateText.h"
#include "report/TextReport.h"
#include "support/Error.h"
#include "target/Memory.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace pyautopsy::lldbplugin {
namespace {

constexpr std::size_t kMaxArguments = 64;
constexpr std::uint32_t kMaxNativeFrames = 1 << 16;  // LLDB frames searched for an eval loop

Session& session()
{
    static Session instance;
    return instance;
}

// ---- arguments ----------------------------------------------------------

struct Arguments {
    std::vector<std::string> flags;       // "-a", "--all", ...
    std::vector<std::string> positional;
};

Arguments parseArguments(char** command)
{
    Arguments args;
    for (std::size_t i = 0; command != nullptr && command[i] != nullptr; ++i) {
        if (i >= kMaxArguments) throw Error(ErrorKind::Usage, "too many arguments");
        std::string arg = command[i];
        (arg.size() > 1 && arg[0] == '-' ? args.flags : args.positional).push_back(std::move(arg));
    }
    return args;
}

// Checks that every flag is one of `known` (each entry a list of spellings),
// and reports which were given.
std::vector<bool> takeFlags(const Arguments& args, const std::vector<std::vector<std::string>>& known,
                            const char* command)
{
    std::vector<bool> given(known.size(), false);
    for (const auto& flag : args.flags) {
        bool matched = false;
        for (std::size_t k = 0; k < known.size() && !matched; ++k) {
            for (const auto& spelling : known[k]) {
                if (flag == spelling) given[k] = matched = true;
            }
        }
        if (!matched) throw Error(ErrorKind::Usage, fmt::format("unknown option {} (see `help {}`)", flag, command));
    }
    return given;
}

void requireNoPositional(const Arguments& args, const char* command)
{
    if (!args.positional.empty())
        throw Error(ErrorKind::Usage, fmt::format("unexpected argument '{}' (see `help {}`)", args.positional[0], command));
}

std::size_t parseCount(const Arguments& args, const char* command)
{
    if (args.positional.empty()) return 1;
    if (args.positional.size() > 1) throw Error(ErrorKind::Usage, fmt::format("{} takes one count", command));
    const std::string& text = args.positional[0];
    std::size_t count = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc() || end != text.data() + text.size() || count == 0)
        throw Error(ErrorKind::Usage, fmt::format("{}: '{}' is not a positive count", command, text));
    return count;
}

// ---- selection ------------------------------------------------------------

report::TextOptions debuggerTextOptions(lldb::SBDebugger& debugger, const snapshot::Snapshot& snap,
                                        bool source = true)
{
    report::TextOptions options;
    options.color = debugger.GetUseColor();
    options.mostRecentLast = false;  // debugger order, like `bt`
    options.source = source;
    return report::withSourceReference(options, snap);
}

struct Selected {
    lldb::SBThread lldbThread;
    const snapshot::Thread* thread = nullptr;
    std::int64_t tid = 0;
};

Selected selectedThread(lldb::SBTarget target, const snapshot::Snapshot& snap)
{
    Selected selected;
    selected.lldbThread = target.GetProcess().GetSelectedThread();
    if (!selected.lldbThread.IsValid()) throw Error(ErrorKind::Usage, "no thread is selected (thread select N)");
    selected.tid = static_cast<std::int64_t>(selected.lldbThread.GetThreadID());
    for (const auto& thread : snap.threads) {
        if (thread.nativeId && *thread.nativeId == selected.tid) {
            selected.thread = &thread;
            return selected;
        }
    }
    throw Error(ErrorKind::NoRuntime,
                fmt::format("thread #{} (tid {}) has no Python thread state: it runs no Python code "
                            "(py-bt --all shows the threads that do)",
                            selected.lldbThread.GetIndexID(), selected.tid));
}

std::vector<const snapshot::Frame*> pythonFrames(const snapshot::Thread& thread)
{
    std::vector<const snapshot::Frame*> frames;
    for (const auto& frame : thread.frames) {
        if (frame.kind == snapshot::FrameKind::Python) frames.push_back(&frame);
    }
    return frames;
}

struct SelectedFrame {
    Selected thread;
    std::size_t index = 0;                  // among the thread's Python frames, 0 = innermost
    const snapshot::Frame* frame = nullptr;
};

std::string describeFrame(std::size_t index, const snapshot::Frame& frame, const report::TextOptions& options)
{
    return fmt::format("#{}{}", index, report::formatFrame(frame, options));
}

// Where the snapshot has native frames, LLDB's index of the eval-loop frame
// that runs Python frame `pythonIndex`: the first native frame outward of it.
// -1 when the snapshot does not tie it to one of LLDB's frames.
long evalLoopFrameIndex(lldb::SBThread& lldbThread, const snapshot::Thread& thread, std::size_t pythonIndex)
{
    std::size_t seen = 0;
    std::size_t position = thread.frames.size();
    for (std::size_t i = 0; i < thread.frames.size(); ++i) {
        if (thread.frames[i].kind != snapshot::FrameKind::Python) continue;
        if (seen++ == pythonIndex) {
            position = i;
            break;
        }
    }
    for (std::size_t i = position + 1; i < thread.frames.size(); ++i) {
        const auto& frame = thread.frames[i];
        if (frame.kind != snapshot::FrameKind::Native || !frame.address) continue;
        // Recursive eval calls return to one call site, so several frames
        // share this pc: both lists are innermost first, so the engine's
        // n-th frame at the pc is LLDB's n-th physical frame there. With
        // debug info LLDB splits one physical frame into its inlined calls
        // (the innermost at this pc, the function itself at another), all
        // with the same CFA: one CFA is one physical frame.
        std::size_t occurrence = 0;
        for (std::size_t k = 0; k < i; ++k)
            if (thread.frames[k].kind == snapshot::FrameKind::Native && thread.frames[k].address == frame.address)
                ++occurrence;
        const std::uint32_t count = std::min(lldbThread.GetNumFrames(), kMaxNativeFrames);
        std::optional<lldb::addr_t> lastCfa;
        for (std::uint32_t f = 0; f < count; ++f) {
            lldb::SBFrame candidate = lldbThread.GetFrameAtIndex(f);
            if (candidate.GetPC() != *frame.address || candidate.GetCFA() == lastCfa) continue;
            lastCfa = candidate.GetCFA();
            if (occurrence-- != 0) continue;
            // Select the function itself: the outermost frame of the inlined chain.
            std::uint32_t chosen = f;
            while (chosen + 1 < count && lldbThread.GetFrameAtIndex(chosen).IsInlined() &&
                   lldbThread.GetFrameAtIndex(chosen + 1).GetCFA() == *lastCfa)
                ++chosen;
            return static_cast<long>(chosen);
        }
        return -1;
    }
    return -1;
}

// Selects that frame in LLDB; returns its index, or -1 (nothing selected).
long selectEvalLoopFrame(lldb::SBThread& lldbThread, const snapshot::Thread& thread, std::size_t pythonIndex)
{
    const long index = evalLoopFrameIndex(lldbThread, thread, pythonIndex);
    if (index >= 0) lldbThread.SetSelectedFrame(static_cast<std::uint32_t>(index));
    return index;
}

Session::NativeMark nativeMarkOf(lldb::SBThread& lldbThread)
{
    lldb::SBFrame frame = lldbThread.GetSelectedFrame();
    if (!frame.IsValid()) return {};
    return {frame.GetFrameID(), frame.GetCFA(), frame.GetPC()};
}

// LLDB's own up, down and `frame select N` move the Python selection too:
// when LLDB's selected frame is not the one the Python frame was last set
// with, the Python frame becomes the one run by the nearest eval loop at or
// outward of it (native frames newer than an eval loop are its C calls).
void followNativeSelection(lldb::SBTarget target, Selected& selected)
{
    const Session::NativeMark current = nativeMarkOf(selected.lldbThread);
    const auto known = session().nativeMark(selected.tid);
    if (known ? *known == current : current.index == 0) return;
    session().setNativeMark(selected.tid, current);
    engine::AnalysisOptions options;
    options.snapshot.native = true;
    const auto& native = session().snapshot(target, options);
    for (const auto& thread : native.threads) {
        if (!thread.nativeId || *thread.nativeId != selected.tid) continue;
        const std::size_t count = pythonFrames(thread).size();
        for (std::size_t position = 0; position < count; ++position) {
            const long index = evalLoopFrameIndex(selected.lldbThread, thread, position);
            if (index >= 0 && static_cast<std::uint32_t>(index) >= current.index) {
                session().selectPythonFrame(selected.tid, position);
                return;
            }
        }
    }
}

SelectedFrame selectedPythonFrame(lldb::SBTarget target, const snapshot::Snapshot& snap)
{
    SelectedFrame selected;
    selected.thread = selectedThread(target, snap);
    followNativeSelection(target, selected.thread);
    auto frames = pythonFrames(*selected.thread.thread);
    if (frames.empty())
        throw Error(ErrorKind::NoRuntime, fmt::format("thread {} has no Python frames", selected.thread.tid));
    selected.index = std::min(session().selectedPythonFrame(selected.thread.tid), frames.size() - 1);
    selected.frame = frames[selected.index];
    return selected;
}

// ---- command plumbing -----------------------------------------------------

using Body = std::function<std::string(lldb::SBDebugger&, const Arguments&)>;

// One LLDB command: parses, runs `body` under the session lock, prints its
// text, and turns every exception into one error line.
class Command : public lldb::SBCommandPluginInterface {
public:
    Command(std::string name, Body body) : m_name(std::move(name)), m_body(std::move(body)) {}

    bool DoExecute(lldb::SBDebugger debugger, char** command, lldb::SBCommandReturnObject& result) override
    {
        try {
            std::lock_guard lock(session().lock());
            const std::string text = m_body(debugger, parseArguments(command));
            result.PutCString(text.c_str(), static_cast<int>(text.size()));
            result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
            return true;
        } catch (const Error& e) {
            result.SetError(fmt::format("{}: {}", m_name, e.what()).c_str());
        } catch (const target::MemoryFault& e) {
            result.SetError(fmt::format("{}: {}", m_name, e.what()).c_str());
        } catch (const std::exception& e) {
            result.SetError(fmt::format("{}: internal error: {}", m_name, e.what()).c_str());
        } catch (...) {
            result.SetError(fmt::format("{}: internal error", m_name).c_str());
        }
        return false;
    }

private:
    std::string m_name;
    Body m_body;
};

engine::AnalysisOptions analysisOptions(bool locals, bool native, bool namespaces = false)
{
    engine::AnalysisOptions options;
    options.snapshot.locals = locals;
    options.snapshot.native = native;
    options.snapshot.namespaces = namespaces;
    return options;
}

// ---- the commands ---------------------------------------------------------

Body backtrace(const char* name, bool full)
{
    return [name, full](lldb::SBDebugger& debugger, const Arguments& args) {
        requireNoPositional(args, name);
        const auto given = takeFlags(args, {{"-a", "--all"}, {"-n", "--native"}, {"--no-source"}}, name);
        lldb::SBTarget target = debugger.GetSelectedTarget();
        const auto& snap = session().snapshot(target, analysisOptions(full, given[1]));
        report::TextOptions options = debuggerTextOptions(debugger, snap, !given[2]);
        if (!given[0]) {
            // As py-up/py-down left it: the stack from the selected Python frame.
            Selected selected = selectedThread(target, snap);
            followNativeSelection(target, selected);
            const std::size_t position = session().selectedPythonFrame(selected.tid);
            std::size_t seen = 0;
            for (std::size_t i = 0; i < selected.thread->frames.size(); ++i) {
                if (selected.thread->frames[i].kind != snapshot::FrameKind::Python) continue;
                if (seen++ == position) {
                    options.firstFrame = i;
                    break;
                }
            }
            return report::formatThread(*selected.thread, options);
        }
        std::string out;
        for (const auto& thread : snap.threads) {
            if (!out.empty()) out += "\n";
            out += report::formatThread(thread, options);
        }
        return out.empty() ? std::string("No Python threads.\n") : out;
    };
}

// py-list's range: none (five lines either side of `line`), START (ten lines
// from it), START END or START,END (libpython's spelling).
std::pair<int, int> listRange(const Arguments& args, int line)
{
    std::vector<int> numbers;
    for (const auto& word : args.positional) {
        std::size_t at = 0;
        while (at <= word.size()) {
            std::size_t comma = word.find(',', at);
            if (comma == std::string::npos) comma = word.size();
            const std::string part = word.substr(at, comma - at);
            at = comma + 1;
            if (part.empty()) continue;
            int value = 0;
            auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
            if (error != std::errc() || end != part.data() + part.size() || value < 0 || numbers.size() >= 2)
                throw Error(ErrorKind::Usage, "usage: py-list [START [END] | START,END]");
            numbers.push_back(value);
        }
    }
    if (numbers.empty()) return {line - 5, line + 5};
    if (numbers.size() == 1) return {numbers[0], numbers[0] + 10};
    return {numbers[0], numbers[1]};
}

std::string pyList(lldb::SBDebugger& debugger, const Arguments& args)
{
    takeFlags(args, {}, "py-list");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    const auto& snap = session().snapshot(target, analysisOptions(false, false));
    const SelectedFrame selected = selectedPythonFrame(target, snap);
    if (!selected.frame->line && args.positional.empty())
        throw Error(ErrorKind::NoRuntime, fmt::format("the line of {} is unknown", selected.frame->function));
    const int line = selected.frame->line.value_or(0);
    const auto [first, last] = listRange(args, line);
    return describeFrame(selected.index, *selected.frame, debuggerTextOptions(debugger, snap, false)) +
           listSource(selected.frame->file, line, first, last);
}

std::string pyLocals(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "py-locals");
    const auto given = takeFlags(args, {{"-a", "--all"}}, "py-locals");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    const auto& snap = session().snapshot(target, analysisOptions(true, false, true));
    const SelectedFrame selected = selectedPythonFrame(target, snap);
    const report::TextOptions options = debuggerTextOptions(debugger, snap);
    if (!given[0])
        return fmt::format("#{}{}", selected.index, report::formatFrameNames(snap, *selected.frame, options));
    std::string out;
    const auto frames = pythonFrames(*selected.thread.thread);
    for (std::size_t i = 0; i < frames.size(); ++i)
        out += fmt::format("#{}{}", i, report::formatFrameNames(snap, *frames[i], options));
    return out;
}

std::string pyPrint(lldb::SBDebugger& debugger, const Arguments& args)
{
    takeFlags(args, {}, "py-print");
    if (args.positional.size() != 1) throw Error(ErrorKind::Usage, "usage: py-print NAME");
    const std::string& name = args.positional[0];
    lldb::SBTarget target = debugger.GetSelectedTarget();
    const auto& snap = session().snapshot(target, analysisOptions(true, false, true));
    const SelectedFrame selected = selectedPythonFrame(target, snap);
    return report::formatNameLookup(name, report::lookupName(snap, *selected.frame, name));
}

Body move(const char* name, bool older)
{
    return [name, older](lldb::SBDebugger& debugger, const Arguments& args) {
        takeFlags(args, {}, name);
        const std::size_t count = parseCount(args, name);
        lldb::SBTarget target = debugger.GetSelectedTarget();
        // Native frames, where the engine provides them, tie each Python frame
        // to the eval loop running it, so LLDB's selected frame can follow.
        const auto& snap = session().snapshot(target, analysisOptions(false, true));
        SelectedFrame selected = selectedPythonFrame(target, snap);
        const std::size_t total = pythonFrames(*selected.thread.thread).size();
        std::size_t index = selected.index;
        // At either end, libpython's words (its users' scripts look for them).
        if (older) {
            if (index + 1 >= total) return std::string("Unable to find an older python frame\n");
            index = std::min(total - 1, index + count);
        } else {
            if (index == 0) return std::string("Unable to find a newer python frame\n");
            index = count >= index ? 0 : index - count;
        }
        session().selectPythonFrame(selected.thread.tid, index);
        const report::TextOptions options = debuggerTextOptions(debugger, snap);
        std::string out = describeFrame(index, *pythonFrames(*selected.thread.thread)[index], options);
        const long native = selectEvalLoopFrame(selected.thread.lldbThread, *selected.thread.thread, index);
        // LLDB's selected frame now stands for this Python frame, until the user selects another.
        session().setNativeMark(selected.thread.tid, nativeMarkOf(selected.thread.lldbThread));
        if (native >= 0) out += fmt::format("  (LLDB frame #{} selected: the eval loop running it)\n", native);
        return out;
    };
}

std::string threads(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy threads");
    takeFlags(args, {}, "pyautopsy threads");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    const auto& snap = session().snapshot(target, analysisOptions(false, false));
    lldb::SBThread current = target.GetProcess().GetSelectedThread();
    const std::int64_t currentTid = current.IsValid() ? static_cast<std::int64_t>(current.GetThreadID()) : -1;
    const report::TextOptions options = debuggerTextOptions(debugger, snap);
    std::string out;
    for (const auto& thread : snap.threads) {
        out += thread.nativeId && *thread.nativeId == currentTid ? "* " : "  ";
        out += report::formatThreadHeader(thread, options);
    }
    return out.empty() ? std::string("No Python threads.\n") : out;
}

std::string fullReport(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy report");
    const auto given =
        takeFlags(args, {{"--json"}, {"--locals"}, {"--native"}, {"--no-source"}}, "pyautopsy report");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    const auto analysis = analysisOptions(given[1], given[2]);
    const auto& snap = session().snapshot(target, analysis);
    const auto& diagnosis = session().diagnosis(target, analysis);
    if (given[0]) return report::jsonText(report::toJson(snap, diagnosis)) + "\n";
    report::TextOptions options;
    options.color = debugger.GetUseColor();  // traceback order, as the CLI prints it
    options.source = !given[3];
    return report::formatSnapshot(snap, diagnosis, options);
}

std::string runtimeState(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy runtime");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    return report::formatProcessState(session().snapshot(target, analysisOptions(false, false)));
}

std::string diagnose(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy diagnose");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    // The session's analysis always gives the rules native frames and locals.
    return report::formatDiagnosis(session().diagnosis(target, analysisOptions(false, false)), debugger.GetUseColor());
}

std::string asyncioTasks(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy tasks");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    report::TextOptions options;
    options.color = debugger.GetUseColor();
    std::string text = report::formatAsyncio(session().snapshot(target, analysisOptions(false, false)), options);
    return text.empty() ? std::string("No asyncio tasks.\n") : text;
}

std::string greenlets(lldb::SBDebugger& debugger, const Arguments& args)
{
    requireNoPositional(args, "pyautopsy greenlets");
    lldb::SBTarget target = debugger.GetSelectedTarget();
    report::TextOptions options;
    options.color = debugger.GetUseColor();
    std::string text = report::formatGreenletReport(session().snapshot(target, analysisOptions(false, false)), options);
    return text.empty() ? std::string("No greenlets.\n") : text;
}

// LLDB keeps the raw pointers it is given for the life of the process; the
// plugin can never be unloaded, so the commands live as long.
lldb::SBCommandPluginInterface* keep(std::string name, Body body) { return new Command(std::move(name), std::move(body)); }

}  // namespace

bool registerCommands(lldb::SBDebugger debugger)
{
    lldb::SBCommandInterpreter interpreter = debugger.GetCommandInterpreter();
    bool ok = true;
    auto add = [&](const char* name, Body body, const char* help, const char* syntax) {
        ok = interpreter.AddCommand(name, keep(name, std::move(body)), help, syntax).IsValid() && ok;
    };
    add("py-bt", backtrace("py-bt", false),
        "Python backtrace of the selected thread, most recent call first, from the Python frame py-up/py-down "
        "selected (no debug symbols needed); each frame with its source line when the file is readable here. "
        "-a/--all: every Python thread whole, each with a header (ident, native id, name, GIL holder). "
        "--native: interleave the native frames. --no-source: no source lines.",
        "py-bt [-a|--all] [--native] [--no-source]");
    add("py-bt-full", backtrace("py-bt-full", true),
        "Like py-bt, with the locals and arguments of each Python frame.",
        "py-bt-full [-a|--all] [--native] [--no-source]");
    add("py-list", pyList,
        "Source lines of the selected Python frame's file, decoded by its PEP 263 declaration: five either side "
        "of the current line, ten from START, or START to END.",
        "py-list [START [END] | START,END]");
    add("py-locals", pyLocals,
        "Locals and arguments of the selected Python frame (a module-level frame's are its globals); "
        "-a/--all: of every Python frame of the selected thread.",
        "py-locals [-a|--all]");
    add("py-print", pyPrint,
        "The value (repr) of a name as the selected Python frame sees it: its locals, then its globals, then "
        "the builtins, saying which (local 'x' = ..., global ..., builtin ...), or that a local is unbound.",
        "py-print NAME");
    add("py-up", move("py-up", true),
        "Select an older Python frame (the caller) of the selected thread; LLDB's selected frame follows to the "
        "eval loop running it when native frames are known.",
        "py-up [N]");
    add("py-down", move("py-down", false),
        "Select a newer Python frame (the callee) of the selected thread; see py-up.", "py-down [N]");

    lldb::SBCommand root =
        interpreter.AddMultiwordCommand("pyautopsy", "pyautopsy: CPython state of this process or core (see subcommands).");
    if (!root.IsValid()) return false;
    auto sub = [&](const char* name, Body body, const char* help, const char* syntax) {
        ok = root.AddCommand(name, keep(std::string("pyautopsy ") + name, std::move(body)), help, syntax).IsValid() && ok;
    };
    sub("threads", threads, "Every Python thread: ident, native id, name, GIL holder; * marks LLDB's selected thread.",
        "pyautopsy threads");
    sub("report", fullReport,
        "The full report the pyautopsy CLI prints for this process or core; --json for the JSON contract "
        "(docs/json-schema.md).",
        "pyautopsy report [--json] [--locals] [--native] [--no-source]");
    sub("runtime", runtimeState,
        "Runtime and finalization state, per interpreter GC, atexit callbacks and sys.modules, the singletons' "
        "refcounts, and trace hooks, as the CLI prints them.",
        "pyautopsy runtime");
    sub("gc", runtimeState, "The same as `pyautopsy runtime`, which includes each interpreter's GC state.",
        "pyautopsy gc");
    sub("diagnose", diagnose,
        "Why the process crashed or hung: findings with their evidence and advice (docs/diagnoses.md).",
        "pyautopsy diagnose");
    sub("tasks", asyncioTasks,
        "asyncio: each event loop's tasks as trees (a task above the tasks it awaits), with the coroutine stack "
        "each is suspended in.",
        "pyautopsy tasks");
    sub("greenlets", greenlets,
        "greenlet and gevent: each thread's greenlets -- the one running on it, and each suspended one with the "
        "stack it stopped in, its parent, and for gevent the hub, names and what a greenlet waits on.",
        "pyautopsy greenlets");
    return ok;
}

}  // namespace pyautopsy::lldbplugin
