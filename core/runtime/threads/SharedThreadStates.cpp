#include "runtime/threads/SharedThreadStates.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <vector>

namespace pyautopsy::runtime {
namespace {

constexpr std::uint64_t kMaxStackScan = 1ULL << 20;
constexpr std::uint64_t kChunk = 64 * 1024;

// Does `value` appear as an aligned word in the live stack above `rsp`?
bool liveStackHolds(const target::Memory& memory, std::uint64_t rsp, std::uint64_t value)
{
    std::vector<std::uint64_t> words(kChunk / 8);
    for (std::uint64_t offset = 0; offset < kMaxStackScan; offset += kChunk) {
        std::size_t got = memory.readSome(rsp + offset, words.data(), kChunk) / 8;
        for (std::size_t i = 0; i < got; ++i)
            if (words[i] == value) return true;
        if (got < words.size()) return false;   // the end of the stack mapping
    }
    return false;
}

}  // namespace

void attributeSharedThreadStates(const target::Memory& memory, snapshot::Snapshot& snapshot, std::int32_t crashedTid)
{
    // Thread idents claimed by thread states of more than one interpreter.
    std::map<std::uint64_t, std::set<std::int64_t>> interpretersOf;
    for (const auto& t : snapshot.threads)
        if (t.threadId && t.threadStateAddress) interpretersOf[*t.threadId].insert(t.interpreterId);

    std::map<std::int64_t, std::uint64_t> identOfTid;   // from the threads that are not in doubt
    for (const auto& t : snapshot.threads)
        if (t.nativeId && t.threadId && t.interpreterId == 0) identOfTid[*t.nativeId] = *t.threadId;

    for (auto& thread : snapshot.threads) {
        if (thread.interpreterId == 0 || !thread.threadId || thread.threadStateAddress == 0) continue;
        if (interpretersOf[*thread.threadId].size() < 2) continue;
        std::vector<std::int32_t> runners;
        for (const auto& os : memory.target().threads())
            if (os.registers && liveStackHolds(memory, os.registers->rsp, thread.threadStateAddress))
                runners.push_back(os.tid);
        const std::uint64_t recorded = *thread.threadId;
        if (runners.size() == 1 && thread.nativeId != runners.front()) {
            thread.nativeId = runners.front();
            auto ident = identOfTid.find(runners.front());
            thread.threadId = ident != identOfTid.end() ? std::optional<std::uint64_t>(ident->second) : std::nullopt;
            thread.crashed = crashedTid != 0 && runners.front() == crashedTid;
            thread.main = false;
            thread.notes.push_back(fmt::format(
                "this subinterpreter thread state records the ident {:#x} of the thread that created it; it is run "
                "by native thread {}, whose stack holds it",
                recorded, runners.front()));
        } else if (runners.size() != 1) {
            thread.crashed = false;
            thread.notes.push_back(fmt::format(
                "this subinterpreter thread state records the ident {:#x} of the thread that created it, which "
                "another interpreter also runs; the thread running it could not be told ({} candidate stacks)",
                recorded, runners.size()));
        }
    }
}

}  // namespace pyautopsy::runtime
