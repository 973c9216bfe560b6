#include "runtime/stdlib/ThreadLocks.h"

#include "runtime/code/ValueStack.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

namespace pyautopsy::runtime {
namespace {

enum class LockKind { Lock, RLock, ModuleLock };

// importlib's bootstrap module, frozen into the interpreter: its classes'
// module, and its code's file name.
constexpr std::string_view kBootstrapModule = "_frozen_importlib";
constexpr std::string_view kBootstrapFile = "<frozen importlib._bootstrap>";

bool endsWith(std::string_view text, std::string_view tail)
{
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

// A callable on the value stack, as far as finding locks needs it.
struct Callable {
    std::string name;                   // "__exit__", "acquire"
    std::optional<std::uint64_t> self;  // bound methods: their self
};

bool isAcquire(const std::string& name) { return name == "acquire" || name == "acquire_lock"; }

class LockScanner {
public:
    LockScanner(const ObjectReader& reader, LocalsReader& locals, ObjectRepr& repr)
        : m_reader(reader), m_locals(locals), m_repr(repr), m_stacks(reader), m_attrs(reader), m_dicts(reader)
    {
    }

    void run(snapshot::Snapshot& snap)
    {
        for (auto& thread : snap.threads) scanThread(thread);
        if (m_order.empty()) return;
        for (std::uint64_t lock : m_order) snap.locks.push_back(describe(lock));
        addOwners(snap);
        addNames(snap);
    }

private:
    const std::string& typeName(std::uint64_t object)
    {
        std::uint64_t type = m_reader.typeOf(object);
        auto it = m_typeNames.find(type);
        if (it == m_typeNames.end()) it = m_typeNames.emplace(type, m_reader.typeName(type).value_or("")).first;
        return it->second;
    }

    std::optional<LockKind> kindOf(std::uint64_t object)
    {
        if (object == 0) return std::nullopt;
        const std::string& type = typeName(object);
        if (type == "_thread.lock") return LockKind::Lock;
        if (type == "_thread.RLock") return LockKind::RLock;
        if (type == "_ModuleLock" && isBootstrapClass(object, "_ModuleLock")) return LockKind::ModuleLock;
        return std::nullopt;
    }

    bool isBootstrapClass(std::uint64_t object, std::string_view name)
    {
        return m_repr.qualifiedName(m_reader.typeOf(object)) == fmt::format("{}.{}", kBootstrapModule, name);
    }

    // The lock `object` is, or stands for: the _lock of a threading.Condition,
    // or of the _ModuleLockManager whose with-block holds a module's import lock.
    std::optional<std::uint64_t> lockBehind(std::uint64_t object)
    {
        if (object == 0) return std::nullopt;
        if (kindOf(object)) return object;
        const std::string type = m_repr.qualifiedName(m_reader.typeOf(object));
        if (type != "threading.Condition" && type != fmt::format("{}._ModuleLockManager", kBootstrapModule))
            return std::nullopt;
        auto inner = m_attrs.find(object, "_lock");
        if (!inner || !kindOf(*inner)) return std::nullopt;
        m_wrappers.emplace(object, *inner);
        return *inner;
    }

    std::optional<Callable> callableOf(std::uint64_t object)
    {
        if (object == 0) return std::nullopt;
        const auto& o = m_reader.runtime().layout.object;
        const auto& memory = m_reader.memory();
        const std::string& type = typeName(object);
        Callable c;
        if (type == "builtin_function_or_method") {
            std::uint64_t def = readPointerField(memory, object, o.cfunction_ml);
            std::uint64_t name = def ? readPointerField(memory, def, o.methoddef_name) : 0;
            if (name == 0) return std::nullopt;
            c.name = memory.readCString(name, m_reader.limits().maxStringBytes);
            if (std::uint64_t self = readPointerField(memory, object, o.cfunction_self)) c.self = self;
        } else if (type == "method") {
            c.self = readPointerField(memory, object, o.method_self);
            c.name = functionName(readPointerField(memory, object, o.method_func)).value_or("");
        } else if (type == "method_descriptor") {
            c.name = m_reader.readString(readPointerField(memory, object, o.descr_name)).value_or("");
        } else if (type == "function") {
            c.name = functionName(object).value_or("");
        } else {
            return std::nullopt;
        }
        if (c.name.empty()) return std::nullopt;
        return c;
    }

    std::optional<std::string> functionName(std::uint64_t function)
    {
        if (function == 0 || typeName(function) != "function") return std::nullopt;
        auto qualname = m_reader.readString(m_reader.memory().readPointer(
            fieldAddress(function, m_reader.runtime().layout.object.func_qualname)));
        if (!qualname) return std::nullopt;
        auto dot = qualname->rfind('.');
        return dot == std::string::npos ? *qualname : qualname->substr(dot + 1);
    }

    // The lock a context-manager or acquire call at slot `i` works on: the
    // callable's own self, else the next slot (LOAD_METHOD / LOAD_SPECIAL
    // push the method and then self).
    std::optional<std::uint64_t> lockOfCall(const Callable& c, const std::vector<std::uint64_t>& slots, std::size_t i,
                                            std::size_t end)
    {
        if (c.self) return lockBehind(*c.self);
        if (i + 1 < end) return lockBehind(slots[i + 1]);
        return std::nullopt;
    }

    void remember(std::uint64_t lock)
    {
        if (m_seen.insert(lock).second) m_order.push_back(lock);
    }

    // Holds first, in every frame, so that the wait can be checked against them.
    void scanThread(snapshot::Thread& thread)
    {
        std::optional<std::pair<std::uint64_t, ValueStack>> innermost;
        const snapshot::Frame* innermostFrame = nullptr;
        for (const auto& frame : thread.frames) {
            if (frame.kind != snapshot::FrameKind::Python || !frame.address || !frame.codeAddress) continue;
            if (!innermostFrame) innermostFrame = &frame;
            try {
                ValueStack stack = m_stacks.read(*frame.address, *frame.codeAddress);
                scanHeld(thread, *frame.address, stack);
                if (!innermost) innermost.emplace(*frame.address, std::move(stack));
            } catch (const target::MemoryFault& fault) {
                thread.notes.push_back(
                    fmt::format("value stack of frame {:#x} unreadable: {}", *frame.address, fault.what()));
                if (!innermost) innermost.emplace(*frame.address, ValueStack{});
            }
        }
        if (innermostFrame && scanImportWait(thread, *innermostFrame)) return;
        if (innermost) scanWait(thread, innermost->first, innermost->second);
        scanJoin(thread);
    }

    // The `self` of a Python frame, if it has one.
    std::optional<std::uint64_t> selfOf(const snapshot::Frame& frame)
    {
        try {
            for (const auto& local : m_locals.values(*frame.address, *frame.codeAddress))
                if (local.name == "self" && local.object != 0) return local.object;
        } catch (const target::MemoryFault&) {
        }
        return std::nullopt;
    }

    // A thread blocked in _ModuleLock.acquire() waits for the module's import
    // lock itself -- not for the `wakeup` lock the method sleeps on, which
    // the owner releases when it finishes importing.
    bool scanImportWait(snapshot::Thread& thread, const snapshot::Frame& frame)
    {
        if (frame.function != "acquire" || frame.file != kBootstrapFile) return false;
        auto self = selfOf(frame);
        if (!self || kindOf(*self) != LockKind::ModuleLock) return false;
        snapshot::Lock state;
        try {
            state = describe(*self);
        } catch (const target::MemoryFault&) {
            return false;
        }
        if (state.locked == false || (state.ownerThreadId && state.ownerThreadId == thread.threadId)) return false;
        thread.waitsFor = snapshot::LockWait{*self, snapshot::LockWaitVia::Acquire, *frame.address};
        remember(*self);
        return true;
    }

    // Thread.join() in progress: threading's own frames all the way down
    // from join(), whose `self` is the Thread waited for.
    void scanJoin(snapshot::Thread& thread)
    {
        for (const auto& frame : thread.frames) {
            if (frame.kind != snapshot::FrameKind::Python) continue;
            if (!endsWith(frame.file, "threading.py") || !frame.address || !frame.codeAddress) return;
            if (frame.function != "join") continue;
            auto self = selfOf(frame);
            if (!self) return;
            try {
                auto identObject = m_attrs.find(*self, "_ident");
                auto ident = identObject ? m_reader.readSmallInt(*identObject) : std::nullopt;
                if (ident && *ident != 0) thread.joins = snapshot::ThreadJoin{static_cast<std::uint64_t>(*ident), *frame.address};
            } catch (const target::MemoryFault&) {
            }
            return;
        }
    }

    // callableOf() of a slot that may hold a stale pointer into memory the
    // target no longer has: such a slot is simply not a callable.
    std::optional<Callable> callableAt(const std::vector<std::uint64_t>& slots, std::size_t i)
    {
        try {
            return callableOf(slots[i]);
        } catch (const target::MemoryFault&) {
            return std::nullopt;
        }
    }

    // With-blocks open under the frame's live slots, on locks that record
    // being locked (Condition.wait() releases the lock inside its with-block).
    void scanHeld(snapshot::Thread& thread, std::uint64_t frame, const ValueStack& stack)
    {
        for (std::size_t i = 0; i < stack.live; ++i) {
            auto c = callableAt(stack.slots, i);
            if (!c || c->name != "__exit__") continue;
            auto lock = lockOfCall(*c, stack.slots, i, stack.live);
            if (!lock || holds(thread, *lock) || describe(*lock).locked == false) continue;
            thread.locksHeld.push_back({*lock, snapshot::LockHoldVia::WithBlock, frame});
            remember(*lock);
        }
    }

    // The call in progress at slot `i`, if it is on a lock: acquire(), or a
    // with-block being entered (its __enter__ or __exit__ with the lock; on
    // 3.12-3.13 the bare lock, the manager BEFORE_WITH has not replaced yet).
    std::optional<snapshot::LockWait> lockCallAt(const std::vector<std::uint64_t>& slots, std::size_t i,
                                                 std::uint64_t frame)
    {
        auto c = callableAt(slots, i);
        std::optional<std::uint64_t> lock;
        auto via = snapshot::LockWaitVia::WithEntry;
        try {
            if (c) {
                if (isAcquire(c->name)) {
                    via = snapshot::LockWaitVia::Acquire;
                } else if (c->name != "__enter__" && c->name != "__exit__") {
                    return std::nullopt;
                }
                lock = lockOfCall(*c, slots, i, slots.size());
            } else if (m_reader.runtime().caps.withEnterKeepsManager) {
                lock = lockBehind(slots[i]);
            }
        } catch (const target::MemoryFault&) {
            return std::nullopt;   // a stale slot above the real top
        }
        if (!lock) return std::nullopt;
        return snapshot::LockWait{*lock, via, frame};
    }

    // The lowest lock call above the live slots: the real call sits at the
    // top of the live stack, and stale slots only above it.
    void scanWait(snapshot::Thread& thread, std::uint64_t frame, const ValueStack& stack)
    {
        for (std::size_t i = stack.live; i < stack.slots.size(); ++i) {
            auto wait = lockCallAt(stack.slots, i, frame);
            if (!wait) continue;
            snapshot::Lock state;
            try {
                state = describe(wait->lock);
            } catch (const target::MemoryFault&) {
                continue;
            }
            // A call on an unlocked lock, or on an RLock this thread owns, would not block: stale.
            if (state.locked == false) continue;
            if (state.ownerThreadId && state.ownerThreadId == thread.threadId) continue;
            // Its own open with-block's __exit__ (or manager), popped when the block ended: stale.
            if (wait->via == snapshot::LockWaitVia::WithEntry && holds(thread, wait->lock)) continue;
            thread.waitsFor = *wait;
            remember(wait->lock);
            return;
        }
    }

    static bool holds(const snapshot::Thread& thread, std::uint64_t lock)
    {
        return std::any_of(thread.locksHeld.begin(), thread.locksHeld.end(),
                           [&](const snapshot::LockHold& h) { return h.lock == lock; });
    }

    snapshot::Lock describe(std::uint64_t lock)
    {
        const auto& layout = m_reader.runtime().layout;
        const auto& l = layout.lock;
        const auto& memory = m_reader.memory();
        snapshot::Lock out;
        out.address = lock;
        auto kind = kindOf(lock);
        out.type = typeName(lock);
        auto size = readField<std::int64_t>(memory, m_reader.typeOf(lock), layout.type.tp_basicsize);
        if (kind == LockKind::Lock) {
            if (has(l.lock_size) && size == l.lock_size && has(l.lock_locked)) {
                out.locked = readField<std::uint8_t>(memory, lock, l.lock_locked) != 0;
            } else if (has(l.mutex_lock_size) && size == l.mutex_lock_size && has(l.mutex_lock_bits)) {
                auto bits = readField<std::uint8_t>(memory, lock, l.mutex_lock_bits);
                out.locked = (bits & 1) != 0;
                out.hasWaiters = (bits & 2) != 0;
            }
        } else if (kind == LockKind::RLock && has(l.rlock_size) && size == l.rlock_size && has(l.rlock_owner)) {
            auto owner = readField<std::uint64_t>(memory, lock, l.rlock_owner);
            out.locked = owner != 0;
            if (owner != 0) out.ownerThreadId = owner;
        } else if (kind == LockKind::ModuleLock) {
            // importlib keeps the owner's ident in `owner` (None when free).
            out.type = "importlib._ModuleLock";
            if (auto owner = m_attrs.find(lock, "owner")) {
                auto ident = m_reader.readSmallInt(*owner);
                out.locked = ident.has_value();
                if (ident) out.ownerThreadId = static_cast<std::uint64_t>(*ident);
            }
            if (auto name = m_attrs.find(lock, "name")) {
                if (auto module = m_reader.readString(*name))
                    out.names.push_back({fmt::format("the import lock of module '{}'", *module), "import", *module});
            }
        }
        return out;
    }

    // An RLock names its owner: that thread holds it even without a with-block.
    void addOwners(snapshot::Snapshot& snap)
    {
        for (const auto& lock : snap.locks) {
            if (!lock.ownerThreadId) continue;
            for (auto& thread : snap.threads) {
                if (thread.threadId != lock.ownerThreadId || thread.threadStateAddress == 0) continue;
                if (!holds(thread, lock.address))
                    thread.locksHeld.push_back({lock.address, snapshot::LockHoldVia::OwnerField, std::nullopt});
            }
        }
    }

    // `value` named `name`: a lock, or a Condition whose lock is `name._lock`.
    void addName(snapshot::Snapshot& snap, std::uint64_t value, snapshot::LockName name)
    {
        if (auto condition = m_wrappers.find(value); condition != m_wrappers.end()) {
            value = condition->second;
            name.name += "._lock";
        }
        if (!m_seen.count(value)) return;
        for (auto& lock : snap.locks) {
            if (lock.address != value) continue;
            // One entry per name: `self._lock` seen from each method of the same object is one name.
            bool known = std::any_of(lock.names.begin(), lock.names.end(),
                                     [&](const snapshot::LockName& n) { return n.name == name.name; });
            if (!known) lock.names.push_back(std::move(name));
            return;
        }
    }

    bool isLockOrCondition(std::uint64_t value) const { return m_seen.count(value) || m_wrappers.count(value); }

    void addGlobals(snapshot::Snapshot& snap, std::uint64_t globals)
    {
        if (globals == 0 || !m_globalsSeen.insert(globals).second) return;
        DictItems items = m_dicts.items(globals, m_reader.limits().maxContainerItems);
        std::string module;
        if (auto name = m_dicts.findStr(items, "__name__")) module = m_reader.readString(*name).value_or("");
        for (const auto& item : items.items) {
            if (!isLockOrCondition(item.value)) continue;
            if (auto key = m_reader.readString(item.key)) addName(snap, item.value, {*key, "global", module});
        }
    }

    void addNames(snapshot::Snapshot& snap)
    {
        const auto& rt = m_reader.runtime();
        const Offset globalsAt = rt.caps.frames == FrameModel::FrameObjects ? rt.layout.frameObject.f_globals
                                                                             : rt.layout.interpreterFrame.f_globals;
        for (auto& thread : snap.threads) {
            for (const auto& frame : thread.frames) {
                if (frame.kind != snapshot::FrameKind::Python || !frame.address || !frame.codeAddress) continue;
                const std::string where = frame.qualname.value_or(frame.function);
                try {
                    addGlobals(snap, readPointerField(m_reader.memory(), *frame.address, globalsAt));
                    for (const auto& local : m_locals.values(*frame.address, *frame.codeAddress)) {
                        addName(snap, local.object, {local.name, "local", where});
                        if (local.name != "self" || local.object == 0) continue;
                        DictItems attrs = m_attrs.all(local.object, m_reader.limits().maxContainerItems);
                        for (const auto& item : attrs.items) {
                            if (!isLockOrCondition(item.value)) continue;
                            if (auto key = m_reader.readString(item.key))
                                addName(snap, item.value, {"self." + *key, "attribute", where});
                        }
                    }
                } catch (const target::MemoryFault&) {
                    // Names are a courtesy: a frame that cannot be read names nothing.
                }
            }
        }
        auto rank = [](const snapshot::LockName& n) {
            return n.scope == "import" ? 0 : n.scope == "global" ? 1 : n.scope == "attribute" ? 2 : 3;
        };
        for (auto& lock : snap.locks)
            std::stable_sort(lock.names.begin(), lock.names.end(),
                             [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    }

    const ObjectReader& m_reader;
    LocalsReader& m_locals;
    ObjectRepr& m_repr;
    ValueStackReader m_stacks;
    InstanceAttributes m_attrs;
    DictReader m_dicts;
    std::unordered_map<std::uint64_t, std::string> m_typeNames;
    std::vector<std::uint64_t> m_order;         // locks found, in the order found
    std::set<std::uint64_t> m_seen;
    std::set<std::uint64_t> m_globalsSeen;
    std::map<std::uint64_t, std::uint64_t> m_wrappers;   // a Condition or _ModuleLockManager -> its _lock
};

}  // namespace

void addThreadLocks(const ObjectReader& reader, LocalsReader& locals, ObjectRepr& repr, snapshot::Snapshot& snap)
{
    try {
        LockScanner(reader, locals, repr).run(snap);
    } catch (const target::MemoryFault& fault) {
        snap.warnings.push_back(fmt::format("locks: stopped reading: {}", fault.what()));
    }
}

}  // namespace pyautopsy::runtime
