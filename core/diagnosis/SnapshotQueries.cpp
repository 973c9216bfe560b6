#include "diagnosis/SnapshotQueries.h"

#include "diagnosis/LockQueries.h"
#include "snapshot/Syscalls.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {

bool isSignal(const snapshot::Snapshot& s, std::initializer_list<std::string_view> names)
{
    if (!s.target.signal) return false;
    for (auto name : names)
        if (s.target.signal->name == name) return true;
    return false;
}

const snapshot::Thread* crashedThread(const snapshot::Snapshot& s)
{
    for (const auto& t : s.threads)
        if (t.crashed) return &t;
    return nullptr;
}

const snapshot::Thread* mainThread(const snapshot::Snapshot& s)
{
    for (const auto& t : s.threads)
        if (t.main) return &t;
    return nullptr;
}

bool hasNativeFrames(const snapshot::Thread& thread)
{
    for (const auto& f : thread.frames)
        if (f.kind == snapshot::FrameKind::Native) return true;
    return false;
}

bool hasNativeFrames(const snapshot::Snapshot& s)
{
    for (const auto& t : s.threads)
        if (hasNativeFrames(t)) return true;
    return false;
}

std::optional<std::size_t> findNative(const snapshot::Thread& thread, std::initializer_list<NativeRole> roles)
{
    for (std::size_t i = 0; i < thread.frames.size(); ++i) {
        const auto& f = thread.frames[i];
        if (f.kind != snapshot::FrameKind::Native) continue;
        for (auto role : roles)
            if (f.role == role) return i;
    }
    return std::nullopt;
}

std::optional<std::size_t> innermostPython(const snapshot::Thread& thread)
{
    for (std::size_t i = 0; i < thread.frames.size(); ++i)
        if (thread.frames[i].kind == snapshot::FrameKind::Python) return i;
    return std::nullopt;
}

std::string frameText(const snapshot::Frame& f)
{
    if (f.kind == snapshot::FrameKind::Native) {
        std::string module = f.file;
        if (auto slash = module.rfind('/'); slash != std::string::npos) module = module.substr(slash + 1);
        return fmt::format("{} ({})", f.function.empty() ? "??" : f.function, module.empty() ? "??" : module);
    }
    return fmt::format("{} ({}:{})", f.qualname.value_or(f.function), f.file,
                       f.line ? std::to_string(*f.line) : std::string("?"));
}

bool inThreadingShutdown(const snapshot::Thread& t)
{
    if (findNative(t, {NativeRole::ThreadShutdown})) return true;
    // Without native frames: threading._shutdown is the outermost Python
    // frame, called by the interpreter itself once the program ended.
    for (auto it = t.frames.rbegin(); it != t.frames.rend(); ++it) {
        if (it->kind != snapshot::FrameKind::Python) continue;
        const auto& file = it->file;
        return it->function == "_shutdown" && file.size() >= 12 && file.compare(file.size() - 12, 12, "threading.py") == 0;
    }
    return false;
}

std::optional<std::string> blockedIn(const snapshot::Snapshot& s, const snapshot::Thread& t)
{
    if (t.waitsFor) return "waiting for " + lockText(s, t.waitsFor->lock);
    if (findNative(t, {NativeRole::LockWait}) && !findNative(t, {NativeRole::GilWait})) return "waiting for a lock";
    if (t.syscall) {
        auto name = snapshot::syscallName(*t.syscall);
        if (name && *name != "write" && *name != "kill" && *name != "tgkill")
            return fmt::format("asleep in the system call {}", *name);
    }
    return std::nullopt;
}

std::string pythonStackText(const snapshot::Thread& t, std::size_t count)
{
    std::vector<std::string> parts;
    for (const auto& f : t.frames) {
        if (f.kind != snapshot::FrameKind::Python) continue;
        if (parts.size() == count) {
            parts.push_back("...");
            break;
        }
        parts.push_back(frameText(f));
    }
    if (parts.empty()) return "no Python frames";
    return fmt::format("{}", fmt::join(parts, ", called from "));
}

std::string threadLabel(const snapshot::Thread& t)
{
    std::string label;
    if (t.name) label = fmt::format("\"{}\"", *t.name);
    else if (t.main) label = "the main thread";
    else if (t.threadId) label = fmt::format("thread {:#x}", *t.threadId);
    else label = "a thread";
    if (t.nativeId) label += fmt::format(" (native {})", *t.nativeId);
    return label;
}

std::string threadShortName(const snapshot::Thread& t)
{
    return t.name ? fmt::format("\"{}\"", *t.name) : threadLabel(t);
}

std::string threadNoun(const snapshot::Thread& t, std::string_view qualifier)
{
    std::string noun(qualifier);
    if (!noun.empty()) noun += ' ';
    if (t.name) noun += fmt::format("thread \"{}\"", *t.name);
    else if (t.main) noun += "main thread";
    else if (t.threadId) noun += fmt::format("thread {:#x}", *t.threadId);
    else noun += "thread";
    if (t.nativeId) noun += fmt::format(" (native {})", *t.nativeId);
    return noun;
}

Evidence threadEvidence(const snapshot::Thread& t, std::string kind, std::string text)
{
    Evidence e;
    e.kind = std::move(kind);
    e.text = std::move(text);
    e.threadId = t.threadId;
    e.nativeId = t.nativeId;
    if (t.name) e.value = *t.name;
    return e;
}

Evidence frameEvidence(const snapshot::Thread& t, const snapshot::Frame& f, std::string text)
{
    Evidence e = threadEvidence(t, f.kind == snapshot::FrameKind::Native ? "native-frame" : "python-frame",
                                std::move(text));
    e.frame = frameText(f);
    e.value.reset();
    return e;
}

Evidence signalEvidence(const snapshot::Snapshot& s)
{
    Evidence e;
    e.kind = "signal";
    const auto& sig = *s.target.signal;
    e.value = sig.name;
    e.text = fmt::format("killed by {} ({})", sig.name, sig.number);
    if (sig.address) {
        e.address = *sig.address;
        e.text += fmt::format(" at address {:#x}", *sig.address);
    }
    if (sig.senderPid) {
        e.text += s.target.pid && *sig.senderPid == *s.target.pid ? " raised by the process itself"
                                                                   : fmt::format(" sent by pid {}", *sig.senderPid);
    }
    return e;
}

}  // namespace pyautopsy::diagnosis
