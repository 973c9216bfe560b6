#include "target/HoldWatchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace pyautopsy::target {
namespace {

// The guard runs on a stack of its own in our memory and is killed, not
// returned from. Whatever is mapped where that stack was must read as any
// other memory: under AddressSanitizer, a stale shadow of the guard's frames
// once made libelf's read of a mapped file a "stack-buffer-underflow".
TEST(HoldWatchdog, MemoryWhereTheGuardStackWasReadsCleanly)
{
    for (int round = 0; round < 8; ++round) {
        {
            HoldWatchdog watchdog(std::chrono::milliseconds(1000));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));   // the guard is inside its loop
        }
        // Mappings of the guard stack's size usually land where it was.
        constexpr std::size_t kSize = 64 * 1024;
        void* area = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(area, MAP_FAILED);
        std::vector<unsigned char> copy(kSize);
        std::memcpy(copy.data(), area, kSize);
        EXPECT_EQ(copy[kSize - 1], 0);
        ::munmap(area, kSize);
    }
}

}  // namespace
}  // namespace pyautopsy::target
