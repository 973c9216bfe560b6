#include "runtime/threads/FrameWalker.h"

#include "runtime/code/LineTable.h"
#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

namespace pyautopsy::runtime {
namespace {

// Bounds one walk along a frame chain: cycles end it, and so does a chain
// longer than any real stack (counting every link, skipped shims included,
// so that garbage made of skippable frames cannot run on either).
class ChainGuard {
public:
    explicit ChainGuard(std::size_t maxFrames) : m_maxFrames(maxFrames), m_maxLinks(maxFrames * 4) {}

    bool admit(std::uint64_t frame, const FrameWalk& walk, std::vector<std::string>& notes)
    {
        if (walk.frames.size() >= m_maxFrames) {
            notes.push_back(fmt::format("stopped after {} frames (limit)", m_maxFrames));
            return false;
        }
        if (m_seen.size() >= m_maxLinks) {
            notes.push_back(fmt::format("stopped after {} frame links (limit)", m_maxLinks));
            return false;
        }
        if (!m_seen.insert(frame).second) {
            notes.push_back(fmt::format("frame chain loops back to {:#x}; stopped", frame));
            return false;
        }
        return true;
    }

private:
    std::size_t m_maxFrames;
    std::size_t m_maxLinks;
    std::unordered_set<std::uint64_t> m_seen;
};

}  // namespace

const CodeInfo* FrameWalker::codeInfo(std::uint64_t code)
{
    if (auto it = m_codes.find(code); it != m_codes.end()) return &it->second;
    if (!m_reader.isCodeObject(code)) return nullptr;

    const auto& memory = m_reader.memory();
    const auto& c = m_reader.runtime().layout.code;
    CodeInfo info;
    info.name = m_reader.readString(readPointerField(memory, code, c.co_name)).value_or("");
    info.filename = m_reader.readString(readPointerField(memory, code, c.co_filename)).value_or("");
    if (has(c.co_qualname)) info.qualname = m_reader.readString(readPointerField(memory, code, c.co_qualname));
    info.firstLineNo = readField<std::int32_t>(memory, code, c.co_firstlineno);
    if (auto table = m_reader.readBytes(readPointerField(memory, code, c.co_linetable),
                                        m_reader.limits().maxLineTableBytes)) {
        info.lineTable = std::move(*table);
    }
    if (has(c.co_code_adaptive)) info.bytecode = fieldAddress(code, c.co_code_adaptive);
    if (has(c.co_firsttraceable)) info.firstTraceable = readField<std::int32_t>(memory, code, c.co_firsttraceable);
    return &m_codes.emplace(code, std::move(info)).first->second;
}

std::optional<int> FrameWalker::lineOf(const CodeInfo& code, int byteOffset) const
{
    return lineForLasti(m_reader.runtime().caps.lineTable, code.lineTable, code.firstLineNo, byteOffset);
}

FrameWalk FrameWalker::walkThread(std::uint64_t tstate)
{
    const auto& rt = m_reader.runtime();
    const auto& t = rt.layout.thread;
    const auto& memory = m_reader.memory();
    FrameWalk out;
    try {
        std::uint64_t top = 0;
        switch (rt.caps.frames) {
        case FrameModel::FrameObjects: top = readPointerField(memory, tstate, t.frame); break;
        case FrameModel::CFrameInterpreter: {
            std::uint64_t cframe = readPointerField(memory, tstate, t.cframe);
            if (cframe != 0) top = readPointerField(memory, cframe, rt.layout.cframe.current_frame);
            break;
        }
        case FrameModel::Interpreter: top = readPointerField(memory, tstate, t.current_frame); break;
        }
        if (top != 0) return walkFrom(top);
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("cannot find the thread's top frame: {}", fault.what()));
    }
    return out;
}

FrameWalk FrameWalker::walkFrom(std::uint64_t frame)
{
    FrameWalk out;
    const std::size_t all = m_reader.limits().maxFramesPerThread;
    if (m_reader.runtime().caps.frames == FrameModel::FrameObjects)
        walkFrameObjects(frame, all, out);
    else
        walkInterpreterFrames(frame, all, out);
    return out;
}

std::optional<snapshot::Frame> FrameWalker::frameAt(std::uint64_t frame)
{
    FrameWalk out;
    if (m_reader.runtime().caps.frames == FrameModel::FrameObjects)
        walkFrameObjects(frame, 1, out);
    else
        walkInterpreterFrames(frame, 1, out);
    if (out.frames.empty() || out.frames.front().address != frame) return std::nullopt;
    return std::move(out.frames.front());
}

void FrameWalker::walkFrameObjects(std::uint64_t frame, std::size_t maxFrames, FrameWalk& out)
{
    const auto& rt = m_reader.runtime();
    const auto& f = rt.layout.frameObject;
    const auto& memory = m_reader.memory();
    ChainGuard guard(m_reader.limits().maxFramesPerThread);

    for (; frame != 0 && out.frames.size() < maxFrames; frame = readPointerField(memory, frame, f.f_back)) {
        if (!guard.admit(frame, out, out.notes)) return;
        try {
            std::uint64_t code = readPointerField(memory, frame, f.f_code);
            const CodeInfo* info = codeInfo(code);
            if (info == nullptr) {
                out.notes.push_back(fmt::format("frame {:#x} has no code object ({:#x}); stopped", frame, code));
                return;
            }
            snapshot::Frame entry;
            entry.function = info->name;
            entry.file = info->filename;
            entry.address = frame;
            entry.codeAddress = code;
            // f_lineno is authoritative while the frame is traced (3.8-3.9: f_trace set;
            // 3.10: non-zero); otherwise the line comes from f_lasti.
            int fieldLine = readField<std::int32_t>(memory, frame, f.f_lineno);
            bool traced = rt.caps.fLinenoWhenTraced ? readPointerField(memory, frame, f.f_trace) != 0 : fieldLine != 0;
            if (traced) {
                entry.line = fieldLine;
            } else {
                int lasti = readField<std::int32_t>(memory, frame, f.f_lasti);
                int byteOffset = rt.caps.lasti == LastiModel::FrameLastiUnits && lasti >= 0 ? lasti * 2 : lasti;
                entry.line = lineOf(*info, byteOffset);
            }
            out.frames.push_back(std::move(entry));
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("frame {:#x} unreadable: {}; stopped", frame, fault.what()));
            return;
        }
    }
}

std::uint64_t FrameWalker::codeOfInterpreterFrame(std::uint64_t frame) const
{
    const auto& rt = m_reader.runtime();
    std::uint64_t ref = readPointerField(m_reader.memory(), frame, rt.layout.interpreterFrame.f_code);
    return rt.caps.codeRef == CodeRefModel::StackRef ? encoding::decodeStackRef(ref).object : ref;
}

void FrameWalker::walkInterpreterFrames(std::uint64_t frame, std::size_t maxFrames, FrameWalk& out)
{
    const auto& rt = m_reader.runtime();
    const auto& f = rt.layout.interpreterFrame;
    const auto& memory = m_reader.memory();
    ChainGuard guard(m_reader.limits().maxFramesPerThread);
    constexpr int kOwnedByGenerator = 1;

    std::uint64_t next = 0;
    for (; frame != 0 && out.frames.size() < maxFrames; frame = next) {
        if (!guard.admit(frame, out, out.notes)) return;
        try {
            next = readPointerField(memory, frame, f.previous);
            int owner = readField<std::int8_t>(memory, frame, f.owner);
            bool shim = rt.caps.shimOwner &&
                        (rt.caps.shimOwnerOrAbove ? owner >= *rt.caps.shimOwner : owner == *rt.caps.shimOwner);
            if (shim) {
                // A C -> Python boundary: the next real frame below starts an eval call.
                if (!out.frames.empty()) {
                    out.frames.back().entry = true;
                    // The first shim below is the eval call's own (3.15's
                    // thread base frame may follow it and does not count).
                    if (!out.frames.back().shimAddress) out.frames.back().shimAddress = frame;
                }
                continue;
            }
            std::uint64_t code = codeOfInterpreterFrame(frame);
            const CodeInfo* info = codeInfo(code);
            if (info == nullptr) {
                if (code == 0 && next == 0 && owner == 0) {
                    // An all-zero frame is not something CPython links; the memory
                    // holding it is missing (seen in gdb gcore cores of 3.14+).
                    out.notes.push_back(fmt::format(
                        "frame chain ends at a zeroed frame at {:#x}: that memory is missing from the target, "
                        "outer frames are lost",
                        frame));
                }
                continue;   // e.g. 3.13's f_executable = None on a shim
            }

            std::uint64_t instr = readPointerField(memory, frame, f.instr_ptr);
            // CPython hides frames that have not reached their first traceable
            // instruction (still copying arguments into cells, etc.).
            bool incomplete = owner != kOwnedByGenerator &&
                              instr < info->bytecode + static_cast<std::uint64_t>(info->firstTraceable) * 2;
            if (rt.caps.lasti == LastiModel::PrevInstr) {
                // prev_instr points at the last started instruction: base-2 before the first.
                incomplete = owner != kOwnedByGenerator &&
                             static_cast<std::int64_t>(instr - info->bytecode) <
                                 static_cast<std::int64_t>(info->firstTraceable) * 2;
            }
            if (incomplete) continue;

            auto byteOffset = static_cast<std::int64_t>(instr - info->bytecode);
            if (rt.caps.lasti == LastiModel::PrevInstr && byteOffset >= 0) byteOffset &= ~std::int64_t{1};

            snapshot::Frame entry;
            entry.function = info->name;
            entry.qualname = info->qualname;
            entry.file = info->filename;
            entry.address = frame;
            entry.codeAddress = code;
            entry.line = lineOf(*info, static_cast<int>(std::clamp<std::int64_t>(byteOffset, -2, 1 << 30)));
            // A traced frame's frame object holds the line the tracer saw.
            std::uint64_t frameObject = readPointerField(memory, frame, f.frame_obj);
            if (frameObject != 0) {
                std::int32_t fieldLine = 0;
                if (memory.readSome(fieldAddress(frameObject, rt.layout.frameObject.f_lineno), &fieldLine, sizeof fieldLine) ==
                        sizeof fieldLine &&
                    fieldLine > 0)
                    entry.line = fieldLine;
            }
            if (rt.caps.hasEntryFlag) entry.entry = readField<std::uint8_t>(memory, frame, f.is_entry) != 0;
            out.frames.push_back(std::move(entry));
        } catch (const target::MemoryFault& fault) {
            out.notes.push_back(fmt::format("frame {:#x} unreadable: {}; stopped", frame, fault.what()));
            return;
        }
    }
}

}  // namespace pyautopsy::runtime
