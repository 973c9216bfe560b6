// CrashFactsReader: the facts about a death that the diagnosis rules need and
// that no stack walker records: each thread's stack pointer, objects in freed
// memory that the crashing thread's registers still point at, the message of
// a Py_FatalError on the crashing thread, and the recursion limit.
//
// Runs last in SnapshotBuilder (the fatal-error message needs the native
// frames of --native). Reads target memory; never throws: what cannot be read
// stays empty, with a note in CrashFacts::notes.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/Snapshot.h"
#include "target/ModuleIndex.h"

namespace pyautopsy::runtime {

void readCrashFacts(const ObjectReader& reader, const target::ModuleIndex& modules, snapshot::Snapshot& snapshot);

}  // namespace pyautopsy::runtime
