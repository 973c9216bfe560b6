#include "runtime/crash/FreedItemScan.h"

#include "runtime/objects/ContainerItems.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/FreedMemory.h"

#include <fmt/format.h>

#include <deque>
#include <optional>
#include <set>
#include <vector>

namespace pyautopsy::runtime {
namespace {

constexpr std::uint64_t kStackSpan = 8ULL << 20;                // a thread's stack: at most 8 MiB either side of rsp


// The items of a builtin list, tuple or dict (values), named by its own type
// object; nullopt for anything else.
std::optional<std::vector<std::uint64_t>> containerItems(const ObjectReader& reader, std::uint64_t object,
                                                         std::string& kind)
{
    const std::uint64_t type = reader.typeOf(object);
    const std::uint64_t flags = reader.typeFlags(type);
    kind = reader.typeName(type).value_or("");
    const std::size_t maxItems = reader.limits().maxContainerItems;
    if (kind == "list" && (flags & encoding::kTpFlagsListSubclass)) return sequenceItems(reader, object, false, maxItems);
    if (kind == "tuple" && (flags & encoding::kTpFlagsTupleSubclass)) return sequenceItems(reader, object, true, maxItems);
    if (kind == "dict" && (flags & encoding::kTpFlagsDictSubclass)) {
        std::vector<std::uint64_t> values;
        for (const auto& item : DictReader(reader).items(object, maxItems).items) values.push_back(item.value);
        return values;
    }
    return std::nullopt;
}

struct Candidate {
    std::uint64_t address = 0;
    std::string where;   // "register rbx" | "stack slot rsp+0x28"
};

}  // namespace

void scanForFreedItems(const ObjectReader& reader, const target::ThreadInfo& thread, snapshot::CrashFacts& out)
{
    if (!thread.registers) return;
    const auto& memory = reader.memory();
    const auto& limits = reader.limits();
    const auto& r = *thread.registers;
    std::vector<Candidate> candidates;
    const std::pair<const char*, std::uint64_t> regs[] = {
        {"rax", r.rax}, {"rbx", r.rbx}, {"rcx", r.rcx}, {"rdx", r.rdx}, {"rsi", r.rsi}, {"rdi", r.rdi},
        {"rbp", r.rbp}, {"r8", r.r8},   {"r9", r.r9},   {"r10", r.r10}, {"r11", r.r11}, {"r12", r.r12},
        {"r13", r.r13}, {"r14", r.r14}, {"r15", r.r15},
    };
    for (const auto& [name, value] : regs) candidates.push_back({value, fmt::format("register {}", name)});
    std::vector<std::uint64_t> stack(limits.maxFreedScanStackBytes / sizeof(std::uint64_t));
    std::size_t got = memory.readSome(r.rsp, stack.data(), stack.size() * sizeof(std::uint64_t)) / 8;
    for (std::size_t i = 0; i < got; ++i) candidates.push_back({stack[i], fmt::format("stack slot rsp+{:#x}", i * 8)});

    // Breadth-first from the candidates into the containers they hold, two
    // levels deep: a debug build's assertion may be dumping the container
    // that holds the freed object, from inside Py_ReprEnter's own list.
    struct Visit {
        std::uint64_t object;
        std::string where;
        std::size_t depth;
    };
    std::deque<Visit> queue;
    for (auto& candidate : candidates) queue.push_back({candidate.address, std::move(candidate.where), 0});
    std::set<std::uint64_t> seen;
    std::set<std::uint64_t> reported;
    std::size_t found = 0;
    std::size_t containers = 0;
    for (; !queue.empty() && found < limits.maxFreedFindings && containers < limits.maxFreedScanContainers;
         queue.pop_front()) {
        const Visit visit = std::move(queue.front());
        const std::uint64_t object = visit.object;
        if (object < 0x10000 || object % 8 != 0 || object == kDeadWord || !seen.insert(object).second) continue;
        // Python objects live on the heap, never on this thread's stack (whose
        // words would otherwise pass for anything).
        if (object + kStackSpan > r.rsp && object < r.rsp + kStackSpan) continue;
        try {
            if (isFreedObject(reader, object)) continue;   // reported as a local's or a register's value
            std::string kind;
            auto items = containerItems(reader, object, kind);
            if (!items) continue;
            ++containers;
            for (std::size_t index = 0; index < items->size() && found < limits.maxFreedFindings; ++index) {
                const std::uint64_t item = (*items)[index];
                const std::string slot = kind == "dict" ? std::string("a value") : fmt::format("item {}", index);
                const std::string holder = fmt::format("{} of the {} at {:#x}", slot, kind, object);
                if (item < 0x10000 || !isFreedObject(reader, item)) {
                    if (visit.depth + 1 < limits.maxFreedScanDepth)
                        queue.push_back({item, fmt::format("{}, {}", holder, visit.where), visit.depth + 1});
                    continue;
                }
                if (!reported.insert(item).second) continue;
                snapshot::FreedObject freed;
                freed.address = item;
                freed.pattern = "its ob_type reads 0xdd... (PYMEM_DEADBYTE: freed by the debug allocator)";
                freed.referencedFrom = fmt::format("{} (reached from {} of the crashing thread)", holder, visit.where);
                freed.nativeId = thread.tid;
                freed.container = object;
                freed.containerType = kind;
                freed.containerSlot = slot;
                freed.containerFoundFrom = visit.where;
                out.freedObjects.push_back(std::move(freed));
                ++found;
            }
        } catch (const target::MemoryFault&) {
            // Not an object: most stack words are not.
        }
    }
}

}  // namespace pyautopsy::runtime
