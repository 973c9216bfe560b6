#include "HugePageHeap.h"

#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace pyautopsy::cli {

namespace {

constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
constexpr std::uintptr_t kSmallPage = 4096;
constexpr int kFirstExtension = 4 << 20;   // reaches past the huge page's end

std::uintptr_t programBreak() { return reinterpret_cast<std::uintptr_t>(::sbrk(0)); }

}  // namespace

void backHeapWithHugePages()
{
    // The kernel backs a region with a huge page only where the whole aligned
    // 2 MiB lies in one MADV_HUGEPAGE mapping and none of it was touched yet,
    // and a mapping can only be advised once it exists. So malloc must extend
    // its heap before we advise it, without touching what lies above the next
    // 2 MiB boundary. A first block larger than what malloc has left forces the
    // extension. The break is moved (the gap is never touched, it costs no
    // memory) so that malloc, which takes the moved break as another's sbrk
    // and starts afresh there, writes its two headers at the start of that
    // block and just after it, both below the boundary.
    const std::uintptr_t now = programBreak();
    if (now == static_cast<std::uintptr_t>(-1)) return;
    const std::uintptr_t block = ((::mallinfo2().keepcost + (64 << 10)) + kSmallPage - 1) & ~(kSmallPage - 1);
    const std::uintptr_t boundary = (now + block + kSmallPage + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t below = boundary - kSmallPage - block;
    if (::sbrk(static_cast<intptr_t>(below - now)) == reinterpret_cast<void*>(-1)) return;

    // Keep large blocks (a 300-frame thread's frame vector) in this heap
    // instead of fresh mmaps, and never give memory back: a shrunk break loses
    // the advice when it grows again.
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ::mallopt(M_TOP_PAD, kFirstExtension);
    void* volatile first = std::malloc(block - 64);   // volatile: the pair must not be optimised away
    std::free(first);
    ::mallopt(M_TOP_PAD, 128 << 10);                   // glibc's default, for later extensions

    // One huge page: a run's heap is 1-2 MiB, and advising more would let a
    // run that needs 2.1 MiB pay a second 2 MiB of resident memory.
    if ((programBreak() & ~(kHugePage - 1)) > boundary)
        ::madvise(reinterpret_cast<void*>(boundary), kHugePage, MADV_HUGEPAGE);
}

}  // namespace pyautopsy::cli
