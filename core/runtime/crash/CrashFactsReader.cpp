#include "runtime/crash/CrashFactsReader.h"

#include "runtime/crash/FatalErrorCallSite.h"
#include "runtime/crash/FreedItemScan.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/FreedMemory.h"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace pyautopsy::runtime {
namespace {


// Registers of the crashing thread that point at memory the debug allocator
// has freed: the object (or its GC header) the thread was using when it died.
void scanRegisters(const target::Memory& memory, const target::ThreadInfo& thread, snapshot::CrashFacts& out)
{
    const auto& r = *thread.registers;
    const std::pair<const char*, std::uint64_t> regs[] = {
        {"rax", r.rax}, {"rbx", r.rbx}, {"rcx", r.rcx}, {"rdx", r.rdx}, {"rsi", r.rsi}, {"rdi", r.rdi},
        {"rbp", r.rbp}, {"r8", r.r8},   {"r9", r.r9},   {"r10", r.r10}, {"r11", r.r11}, {"r12", r.r12},
        {"r13", r.r13}, {"r14", r.r14}, {"r15", r.r15},
    };
    std::map<std::uint64_t, std::string> hits;   // address -> registers holding it
    for (const auto& [name, value] : regs) {
        if (value < 0x10000 || value == kDeadWord) continue;
        if (!isFreedMemory(memory, value)) continue;
        auto& names = hits[value];
        names += names.empty() ? name : std::string(", ") + name;
    }
    for (const auto& [address, names] : hits) {
        snapshot::FreedObject freed;
        freed.address = address;
        freed.pattern = "the memory reads 0xdd... (PYMEM_DEADBYTE: freed by the debug allocator)";
        freed.referencedFrom = fmt::format("register {} of the crashing thread", names);
        freed.nativeId = thread.tid;
        out.freedObjects.push_back(std::move(freed));
    }
}

// sys.getrecursionlimit() as the thread state records it (3.11+).
void readRecursionLimit(const ObjectReader& reader, const snapshot::Thread& thread, snapshot::CrashFacts& out)
{
    const auto& L = reader.runtime().layout.thread;
    if (!has(L.recursion_limit) || thread.threadStateAddress == 0) return;
    std::int32_t limit = 0;
    if (reader.memory().readSome(fieldAddress(thread.threadStateAddress, L.recursion_limit), &limit, sizeof limit) !=
        sizeof limit)
        return;
    if (limit <= 0) return;
    out.recursionLimit = limit;
    out.recursionLimitFrom = fmt::format("thread state {:#x}", thread.threadStateAddress);
}

// Where the thread state has no limit of its own (<= 3.10), the one of the
// thread's interpreter (3.9+) or of the runtime (3.8) is the limit it ran under.
void useInterpreterRecursionLimit(const snapshot::Snapshot& snapshot, const snapshot::Thread& thread,
                                  snapshot::CrashFacts& out)
{
    for (const auto& interp : snapshot.interpreters) {
        if (interp.id != thread.interpreterId || !interp.state.recursionLimit) continue;
        out.recursionLimit = interp.state.recursionLimit;
        out.recursionLimitFrom = interp.state.recursionLimitFrom;
        return;
    }
}

}  // namespace

void readCrashFacts(const ObjectReader& reader, const target::ModuleIndex& modules, snapshot::Snapshot& snapshot)
{
    const auto& memory = reader.memory();
    const auto& target = memory.target();
    std::map<std::int64_t, const target::ThreadInfo*> byTid;
    for (const auto& t : target.threads()) byTid[t.tid] = &t;
    for (auto& thread : snapshot.threads) {
        if (!thread.nativeId) continue;
        auto it = byTid.find(*thread.nativeId);
        if (it != byTid.end() && it->second->registers) thread.stackPointer = it->second->registers->rsp;
    }

    const snapshot::Thread* crashed = nullptr;
    const snapshot::Thread* main = nullptr;
    for (const auto& thread : snapshot.threads) {
        if (thread.crashed && !crashed) crashed = &thread;
        if (thread.main && !main) main = &thread;
    }
    auto& out = snapshot.crash;
    try {
        if (crashed && crashed->nativeId) {
            auto it = byTid.find(*crashed->nativeId);
            if (it != byTid.end() && it->second->registers) {
                scanRegisters(memory, *it->second, out);
                // Only where freed memory is in play: the debug allocator's pattern
                // in a register, or CPython's own fatal error (its object checks).
                out.fatalError = readFatalErrorCall(memory, modules, *crashed);
                if (!out.freedObjects.empty() || out.fatalError) scanForFreedItems(reader, *it->second, out);
            } else {
                out.fatalError = readFatalErrorCall(memory, modules, *crashed);
            }
        }
        if (crashed) readRecursionLimit(reader, *crashed, out);
        if (!out.recursionLimit && main) readRecursionLimit(reader, *main, out);
        if (!out.recursionLimit && (crashed || main))
            useInterpreterRecursionLimit(snapshot, crashed ? *crashed : *main, out);
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("crash facts incomplete: {}", fault.what()));
    }
}

}  // namespace pyautopsy::runtime
