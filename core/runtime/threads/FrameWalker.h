// FrameWalker: one thread's Python frames, innermost first.
//
// Follows the version's frame chain (PyFrameObject.f_back up to 3.10,
// _PyInterpreterFrame.previous from 3.11), skips the shim and not-yet-started
// frames CPython itself hides, and computes each frame's line exactly as
// frame.f_lineno would. The walk is bounded (Limits::maxFramesPerThread, cycle
// detection); a fault ends it with a note instead of an exception.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pyautopsy::runtime {

struct CodeInfo {
    std::string name;
    std::optional<std::string> qualname;
    std::string filename;
    int firstLineNo = 0;
    std::vector<std::uint8_t> lineTable;
    std::uint64_t bytecode = 0;         // address of the first instruction (3.11+)
    int firstTraceable = 0;             // _co_firsttraceable (3.11+)
};

struct FrameWalk {
    std::vector<snapshot::Frame> frames;
    std::vector<std::string> notes;
};

class FrameWalker {
public:
    explicit FrameWalker(const ObjectReader& reader) : m_reader(reader) {}

    // `tstate` is a PyThreadState address.
    FrameWalk walkThread(std::uint64_t tstate);

    // The code object of a frame chain starting at `frame` (interpreter frame on
    // 3.11+, frame object before), for callers that already hold a frame.
    FrameWalk walkFrom(std::uint64_t frame);

    // The one frame at `frame` (a generator's or coroutine's own frame), without
    // following its caller link; nullopt when it is not a readable Python frame.
    std::optional<snapshot::Frame> frameAt(std::uint64_t frame);

    const CodeInfo* codeInfo(std::uint64_t code);

private:
    void walkFrameObjects(std::uint64_t frame, std::size_t maxFrames, FrameWalk& out);
    void walkInterpreterFrames(std::uint64_t frame, std::size_t maxFrames, FrameWalk& out);
    std::uint64_t codeOfInterpreterFrame(std::uint64_t frame) const;
    std::optional<int> lineOf(const CodeInfo& code, int byteOffset) const;

    const ObjectReader& m_reader;
    std::unordered_map<std::uint64_t, CodeInfo> m_codes;   // code objects repeat (recursion)
};

}  // namespace pyautopsy::runtime
