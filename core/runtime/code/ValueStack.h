// ValueStack: the value stack of one Python frame, and how much of it is
// surely live.
//
// The slots sit after the frame's locals (f_valuestack up to 3.10; localsplus
// after co_nlocalsplus from 3.11) and number at most co_stacksize. How deep
// the stack is now is recorded only sometimes (Capabilities::stackTop): a
// frame suspended or calling Python inline saves it, but a frame that is
// running -- or, before 3.14, calling into C -- does not, and slots above
// the real top keep stale pointers to popped (possibly freed) objects.
//
// The bottom of the stack is live for sure under an open block: a with-block
// or try-block keeps the depth it must restore (PyTryBlock.b_level up to
// 3.10, the exception-table entry of the current instruction from 3.11), and
// everything below that depth stays on the stack while the block is open --
// among it each open with-block's __exit__ (and, on 3.14+, its self).
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace pyautopsy::runtime {

struct ValueStack {
    std::vector<std::uint64_t> slots;   // bottom first: objects (stack refs untagged; NULL and tagged ints are 0)
    std::size_t live = 0;               // slots [0, live) are surely live: under the frame's open blocks
    bool exactTop = false;              // slots end at the frame's recorded top; otherwise they run to
                                        // co_stacksize and those at or above `live` may be stale
};

class ValueStackReader {
public:
    explicit ValueStackReader(const ObjectReader& reader) : m_reader(reader) {}

    // `frame` and `code` as FrameWalker recorded them (snapshot::Frame::address
    // and codeAddress). Throws target::MemoryFault if the frame is unreadable.
    // With `wholeStack`, the slots run to co_stacksize whatever top is recorded
    // (for a depth computed elsewhere: StackDepth.h), and exactTop is false.
    ValueStack read(std::uint64_t frame, std::uint64_t code, bool wholeStack = false);

private:
    struct CodeFacts {
        std::uint32_t stackSize = 0;            // co_stacksize, capped by Limits::maxContainerItems
        std::uint32_t localsPlus = 0;           // co_nlocalsplus (3.11+)
        std::vector<std::uint8_t> exceptionTable;
        std::uint64_t bytecode = 0;             // first instruction (3.11+)
    };
    const CodeFacts& factsOf(std::uint64_t code);
    void readFrameObject(std::uint64_t frame, const CodeFacts& code, bool wholeStack, ValueStack& out) const;
    void readInterpreterFrame(std::uint64_t frame, const CodeFacts& code, bool wholeStack, ValueStack& out) const;
    std::vector<std::uint64_t> readSlots(std::uint64_t base, std::size_t count) const;

    const ObjectReader& m_reader;
    std::unordered_map<std::uint64_t, CodeFacts> m_codes;
};

}  // namespace pyautopsy::runtime
