#include "diagnosis/LockQueries.h"

#include "diagnosis/SnapshotQueries.h"

#include <fmt/format.h>

namespace pyautopsy::diagnosis {

const snapshot::Lock* findLock(const snapshot::Snapshot& s, std::uint64_t lock)
{
    for (const auto& l : s.locks)
        if (l.address == lock) return &l;
    return nullptr;
}

std::string lockName(const snapshot::Snapshot& s, std::uint64_t lock)
{
    const snapshot::Lock* l = findLock(s, lock);
    if (l == nullptr) return "a lock";
    if (l->names.empty()) return "a " + (l->type.empty() ? std::string("lock") : l->type);
    return l->names.front().name;
}

std::string lockText(const snapshot::Snapshot& s, std::uint64_t lock)
{
    const snapshot::Lock* l = findLock(s, lock);
    std::string type = l && !l->type.empty() ? l->type : std::string("lock");
    if (l == nullptr || l->names.empty()) return fmt::format("a {} at {:#x}", type, lock);
    const auto& name = l->names.front();
    std::string scope;
    if (name.scope == "local") scope = ", a local of " + name.where;
    else if (name.scope == "attribute") scope = ", in " + name.where;
    return fmt::format("{} ({} at {:#x}{})", name.name, type, lock, scope);
}

std::vector<LockHolder> lockHolders(const snapshot::Snapshot& s, std::uint64_t lock)
{
    std::vector<LockHolder> out;
    for (const auto& t : s.threads)
        for (const auto& hold : t.locksHeld)
            if (hold.lock == lock) out.push_back({&t, &hold});
    return out;
}

const snapshot::Frame* frameAt(const snapshot::Thread& t, std::uint64_t address)
{
    for (const auto& f : t.frames)
        if (f.kind == snapshot::FrameKind::Python && f.address == address) return &f;
    return nullptr;
}

std::string holdText(const snapshot::Thread& t, const snapshot::LockHold& hold)
{
    if (hold.via == snapshot::LockHoldVia::OwnerField) return "the RLock records it as its owner";
    const snapshot::Frame* f = hold.frame ? frameAt(t, *hold.frame) : nullptr;
    return f ? "in a with-block of " + frameText(*f) : std::string("in a with-block");
}

}  // namespace pyautopsy::diagnosis
