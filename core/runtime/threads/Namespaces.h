// Namespaces: the globals and builtins each Python frame looks names up in
// after its locals, for a debugger's py-print and module-level py-locals.
//
// Where a frame keeps them (docs/cpython-internals.md): PyFrameObject's
// f_globals/f_builtins/f_locals (<= 3.10), _PyInterpreterFrame's (3.11+).
// A module-level frame (or exec) has f_locals == f_globals: its locals are
// its globals. Each dict is read once however many frames share it, at most
// Limits::maxContainerItems names, each value as ObjectRepr shows it.
#pragma once

#include "runtime/repr/ObjectRepr.h"
#include "snapshot/Snapshot.h"

#include <cstdint>
#include <map>

namespace pyautopsy::runtime {

// Sets Frame::globals, builtins and localsAreGlobals on `thread`'s Python
// frames and adds the dicts not yet in `namespaces`. A frame or dict that
// cannot be read gets a note on the thread (a dict: an incomplete Namespace).
// Never throws.
void addNamespaces(const ObjectReader& reader, ObjectRepr& repr, snapshot::Thread& thread,
                   std::map<std::uint64_t, snapshot::Namespace>& namespaces);

}  // namespace pyautopsy::runtime
