// HugePageHeap: back the CLI's malloc heap with transparent huge pages.
//
// One run of pyautopsy touches 1-3 MiB of fresh heap. On the virtual machines
// CI runs on, each first touch of a 4 KiB page is a fault that exits to the
// hypervisor (~10 us here): 350 of them cost more than the walk itself. One
// 2 MiB page costs about as much as ten small ones.
//
// Call once, before anything allocates: from a constructor of priority 101,
// as cli/main.cpp does. Best effort and process-wide: only for the
// command-line tool's own process, never inside a debugger that loads us.
// Only the heap's first 2 MiB past a boundary: a run costs at most 2 MiB more
// resident memory, usually ~1 MiB (what it left unused of that page).
#pragma once

namespace pyautopsy::cli {

void backHeapWithHugePages();

}  // namespace pyautopsy::cli
