// SingletonRefcounts: the reference counts of the objects whose refcount
// errors kill processes: None, True, False, Ellipsis, NotImplemented, the
// small ints -5, 0, 1, 255, 256, the empty tuple and the empty str.
//
// The first five are exported data symbols in every version. The others are
// found from the layout: inside _PyRuntime on 3.11+ (_Py_SINGLETON), in the
// interpreter on 3.9-3.10 (small ints) and 3.10 ((), ''), and through .symtab
// on unstripped 3.8 builds (small ints). On 3.8-3.9 () is the co_freevars /
// co_cellvars of the code objects on the stacks, and '' is what
// builtins.__package__, sys.__package__ and sys.abiflags (release builds)
// hold; each is reported only when its references agree.
// Each object's type is checked before its count is believed. The count is
// reported three ways: the raw 8-byte word, Py_REFCNT() as the version
// computes it, and whether the version considers the object immortal
// (3.12+: the low 32 bits negative as an int32; 3.14+ also ob_flags).
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/ProcessState.h"
#include "target/ModuleIndex.h"

#include <vector>

namespace pyautopsy::runtime {

// `mainInterp` is the main interpreter's address (0 if unknown);
// `codeObjects` the code objects of the walked frames (for () on 3.8-3.9).
std::vector<snapshot::SingletonRefcount> readSingletonRefcounts(const ObjectReader& reader,
                                                                const target::ModuleIndex& modules,
                                                                std::uint64_t mainInterp,
                                                                const std::vector<std::uint64_t>& codeObjects,
                                                                std::vector<std::string>& notes);

// Decodes one refcount word per the version's rules (exposed for unit tests).
void decodeRefcount(const Runtime& runtime, std::uint64_t raw, std::optional<std::uint16_t> flags,
                    snapshot::SingletonRefcount& out);

}  // namespace pyautopsy::runtime
