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

namespace {

bool isImportlibFrame(const snapshot::Frame& f)
{
    return f.kind == snapshot::FrameKind::Python && f.file.rfind("<frozen importlib", 0) == 0;
}

// The first frame outside importlib below `inner`: the one whose import statement runs it.
const snapshot::Frame* importingFrame(const snapshot::Thread& t, const snapshot::Frame* inner)
{
    bool below = false;
    for (const auto& f : t.frames) {
        if (&f == inner) below = true;
        else if (below && f.kind == snapshot::FrameKind::Python && !isImportlibFrame(f)) return &f;
    }
    return nullptr;
}

}  // namespace

std::string holdText(const snapshot::Thread& t, const snapshot::LockHold& hold)
{
    if (hold.via == snapshot::LockHoldVia::OwnerField) return "the lock records it as its owner";
    const snapshot::Frame* f = hold.frame ? frameAt(t, *hold.frame) : nullptr;
    if (f && isImportlibFrame(*f)) {
        // importlib's own with-block: what matters is whose import it is.
        const snapshot::Frame* from = importingFrame(t, f);
        return from ? "importing the module, for " + frameText(*from) : std::string("importing the module");
    }
    return f ? "in a with-block of " + frameText(*f) : std::string("in a with-block");
}

}  // namespace pyautopsy::diagnosis
