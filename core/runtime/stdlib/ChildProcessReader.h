// ChildProcessReader: the target's child processes, joined with the
// multiprocessing.Process objects that started them.
//
// Kernel facts come from the target (live processes: pid, state, command
// line). The Python side is read from memory, so cores have it too:
// sys.modules['multiprocessing.process'] -> '_children', the set of Process
// objects started and not yet seen to finish -> each one's _name,
// _config['daemon'] and _popen (pid, returncode). A process that never
// imported multiprocessing has no such objects; nothing is guessed.
#pragma once

#include "runtime/objects/ObjectReader.h"
#include "snapshot/ChildProcesses.h"
#include "target/Target.h"

#include <cstdint>
#include <vector>

namespace pyautopsy::runtime {

// Reads the children known to the target and to the multiprocessing module
// of each interpreter in `interps`. Never throws: faults become notes.
snapshot::ChildProcesses readChildProcesses(const ObjectReader& reader, const target::Target& target,
                                            const std::vector<std::uint64_t>& interps);

}  // namespace pyautopsy::runtime
