// NameLookup: py-print and py-locals over a snapshot made with locals and
// SnapshotOptions::namespaces.
//
// A name is looked up as libpython's py-print does: the frame's locals, then
// its globals, then its builtins, and the answer says where it was found
// ("local 'x' = 1", "global '__name__' = '__main__'", "builtin 'len' =
// <built-in function len>"). A local that exists but has no value is
// reported as unbound, not as missing. A module-level frame's locals are its
// globals, so there the globals are the frame's names.
#pragma once

#include "report/TextReport.h"
#include "snapshot/Snapshot.h"

#include <string>
#include <string_view>

namespace pyautopsy::report {

struct NameLookup {
    enum class Scope { Local, UnboundLocal, Global, Builtin, NotFound };
    Scope scope = Scope::NotFound;
    std::string repr;
    bool incomplete = false;    // NotFound, but a namespace could not be read whole
};

NameLookup lookupName(const snapshot::Snapshot& snapshot, const snapshot::Frame& frame, std::string_view name);

// One line: "local 'x' = 1", "local 'x' is unbound", "'x' not found", ...
std::string formatNameLookup(std::string_view name, const NameLookup& lookup);

// The frame line (with its source line), then each of its names as NAME =
// REPR: its locals, or for a module-level frame its globals.
std::string formatFrameNames(const snapshot::Snapshot& snapshot, const snapshot::Frame& frame,
                             const TextOptions& options);

}  // namespace pyautopsy::report
