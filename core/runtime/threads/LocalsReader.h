// LocalsReader: a Python frame's local variables and arguments, as reprs.
//
// Names and slots per version (docs/cpython-internals.md §5.6): <= 3.10 co_varnames, then
// co_cellvars, then co_freevars over PyFrameObject.f_localsplus; 3.11+
// co_localsplusnames/co_localspluskinds over _PyInterpreterFrame.localsplus,
// which hold _PyStackRef on 3.14+. Cells are shown by their contents,
// unbound (NULL) slots and 3.12+'s hidden comprehension slots are left out,
// as frame.f_locals does.
#pragma once

#include "runtime/repr/ObjectRepr.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pyautopsy::runtime {

// One bound local as the frame holds it: an object, or on 3.14+ possibly a
// tagged int that has no object.
struct LocalValue {
    std::string name;
    std::uint64_t object = 0;                 // 0 for a tagged int
    std::optional<std::int64_t> taggedInt;
};

class LocalsReader {
public:
    LocalsReader(const ObjectReader& reader, ObjectRepr& repr) : m_reader(reader), m_repr(repr) {}

    // `frame` and `code` as FrameWalker recorded them (snapshot::Frame::address
    // and codeAddress). Throws target::MemoryFault if the frame is unreadable.
    // Names of locals that have no value are added to `unbound` when given.
    std::vector<snapshot::Local> read(std::uint64_t frame, std::uint64_t code,
                                      std::vector<std::string>* unbound = nullptr);

    // The same locals before repr: cells are followed, unbound and hidden
    // slots left out. Throws target::MemoryFault if the frame is unreadable.
    std::vector<LocalValue> values(std::uint64_t frame, std::uint64_t code,
                                   std::vector<std::string>* unbound = nullptr);

    // Fills Frame::locals of every Python frame of `thread`; a frame that
    // cannot be read gets no locals and the thread a note. Never throws.
    void addTo(snapshot::Thread& thread);

private:
    struct Slot {
        std::string name;
        bool cell = false;      // the slot holds (or will hold) a cell
        bool hidden = false;
    };
    const std::vector<Slot>& slotsOf(std::uint64_t code);
    std::vector<Slot> readSlots(std::uint64_t code);

    const ObjectReader& m_reader;
    ObjectRepr& m_repr;
    std::unordered_map<std::uint64_t, std::vector<Slot>> m_slots;   // per code object
};

}  // namespace pyautopsy::runtime
