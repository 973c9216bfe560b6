#include "runtime/stdlib/GreenletReader.h"

#include "runtime/layouts/Field.h"
#include "runtime/layouts/GreenletLayouts.h"
#include "runtime/objects/CallableDescriber.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ModuleLookup.h"
#include "runtime/repr/ObjectRepr.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace pyautopsy::runtime {
namespace {

constexpr std::uint64_t kMainStackStop = ~std::uint64_t{0};   // a main greenlet's stack_stop
constexpr std::uint64_t kNeverSwitched = 1;                    // a main greenlet's first stack_start
// A greenlet's saved stack addresses lie in its thread's stack; a thread
// stack is a few MiB, and distinct threads' stacks are further apart.
constexpr std::uint64_t kSameStackDistance = 64ull << 20;
// The low bits of a PyGC_Head's next pointer are flags in some states
// (unreachable during a collection, the old space on 3.14).
constexpr std::uint64_t kGcNextFlags = 7;

// Types gevent blocks a greenlet on, by the name of a class in their MRO:
// libev/libuv watchers, Event/AsyncResult/Semaphore (AbstractLinkable), Waiter.
constexpr std::array kGeventWaitables = {"watcher", "AbstractLinkable", "Waiter"};

// One greenlet as its C++ implementation holds it.
struct Raw {
    std::uint64_t object = 0;
    std::uint64_t type = 0;
    std::uint64_t stackStart = 0;
    std::uint64_t stackStop = 0;
    std::uint64_t topFrame = 0;
    std::uint64_t mainGreenlet = 0;     // itself, for a main greenlet
    std::uint64_t parent = 0;
    std::uint64_t run = 0;
    std::uint64_t threadState = 0;      // main greenlets: greenlet's per-thread state
    bool main() const { return stackStop == kMainStackStop; }
};

class GreenletCollector {
public:
    GreenletCollector(const ObjectReader& reader, FrameWalker& frames, LocalsReader& locals, bool withLocals,
                      const GreenletLayout& layout, std::uint64_t greenletType)
        : m_reader(reader), m_frames(frames), m_locals(locals), m_withLocals(withLocals), m_layout(layout),
          m_greenletType(greenletType)
    {
    }

    void run(std::uint64_t gc, snapshot::Snapshot& snap);

private:
    std::vector<std::uint64_t> trackedGreenlets(std::uint64_t gc, std::vector<std::string>& notes);
    void scanList(std::uint64_t head, std::size_t& scanned, std::vector<std::uint64_t>& out);
    bool isGreenletType(std::uint64_t type);
    bool hasBaseNamed(std::uint64_t type, std::string_view name);
    std::optional<Raw> readRaw(std::uint64_t object);
    snapshot::Greenlet describe(const Raw& raw, std::uint64_t current);
    void describeGevent(const Raw& raw, snapshot::Greenlet& out);
    std::optional<std::size_t> threadOf(const std::vector<const Raw*>& group, const snapshot::Snapshot& snap);

    const ObjectReader& m_reader;
    FrameWalker& m_frames;
    LocalsReader& m_locals;
    const bool m_withLocals;
    const GreenletLayout m_layout;
    const std::uint64_t m_greenletType;
    std::uint64_t m_pimpl = 0;      // offset of PyGreenlet.pimpl
    std::unordered_map<std::uint64_t, bool> m_isGreenlet;   // type -> greenlet or a subclass
    InstanceAttributes m_attributes{m_reader};
    DictReader m_dicts{m_reader};
    ObjectRepr m_repr{m_reader};
};

bool GreenletCollector::isGreenletType(std::uint64_t type)
{
    if (auto it = m_isGreenlet.find(type); it != m_isGreenlet.end()) return it->second;
    const auto& t = m_reader.runtime().layout.type;
    bool found = false;
    std::uint64_t walk = type;
    try {
        for (std::size_t depth = 0; walk != 0 && depth < m_reader.limits().maxTypeChain && !found; ++depth) {
            found = walk == m_greenletType;
            walk = readPointerField(m_reader.memory(), walk, t.tp_base);
        }
    } catch (const target::MemoryFault&) {
        found = false;
    }
    m_isGreenlet.emplace(type, found);
    return found;
}

bool GreenletCollector::hasBaseNamed(std::uint64_t type, std::string_view name)
{
    const auto& t = m_reader.runtime().layout.type;
    try {
        for (std::size_t depth = 0; type != 0 && depth < m_reader.limits().maxTypeChain; ++depth) {
            // Static types name their module too: "gevent.libev.corecext.watcher".
            const std::string full = m_reader.typeName(type).value_or("");
            const auto dot = full.rfind('.');
            if ((dot == std::string::npos ? full : full.substr(dot + 1)) == name) return true;
            type = readPointerField(m_reader.memory(), type, t.tp_base);
        }
    } catch (const target::MemoryFault&) {
    }
    return false;
}

// One GC list: PyGC_Head nodes, circular through the list's head. Reads each
// node's header and its object's type in one read.
void GreenletCollector::scanList(std::uint64_t head, std::size_t& scanned, std::vector<std::uint64_t>& out)
{
    const auto& L = m_reader.runtime().layout;
    const auto& memory = m_reader.memory();
    const auto next = static_cast<std::size_t>(L.gc.head_next);
    const auto headSize = static_cast<std::size_t>(L.gc.head_size);
    const auto typeAt = headSize + static_cast<std::size_t>(L.object.ob_type);
    std::array<std::uint8_t, 64> block{};
    if (typeAt + 8 > block.size()) return;
    std::uint64_t node = memory.readPointer(head + next) & ~kGcNextFlags;
    while (node != 0 && node != head && scanned < m_reader.limits().maxGcObjects &&
           out.size() < m_reader.limits().maxGreenlets) {
        ++scanned;
        memory.readBytes(node, block.data(), typeAt + 8);
        std::uint64_t type = 0;
        std::uint64_t following = 0;
        std::memcpy(&type, block.data() + typeAt, sizeof type);
        std::memcpy(&following, block.data() + next, sizeof following);
        if (isGreenletType(type)) out.push_back(node + headSize);
        node = following & ~kGcNextFlags;
    }
}

std::vector<std::uint64_t> GreenletCollector::trackedGreenlets(std::uint64_t gc, std::vector<std::string>& notes)
{
    const auto& g = m_reader.runtime().layout.gc;
    std::vector<std::uint64_t> heads;
    if (!has(g.generation_head) || !has(g.head_size) || !has(g.head_next) || !has(g.generation_size)) {
        notes.push_back("no layout for this version's GC lists: greenlets cannot be found");
        return {};
    }
    const auto stride = static_cast<std::uint64_t>(g.generation_size);
    const auto headOf = [&](std::uint64_t generation) { return generation + static_cast<std::uint64_t>(g.generation_head); };
    if (has(g.generations)) {
        for (std::uint64_t i = 0; i < 3; ++i) heads.push_back(headOf(fieldAddress(gc, g.generations) + stride * i));
    } else if (has(g.young) && has(g.old)) {
        heads.push_back(headOf(fieldAddress(gc, g.young)));
        for (std::uint64_t i = 0; i < 2; ++i) heads.push_back(headOf(fieldAddress(gc, g.old) + stride * i));
    }
    if (has(g.permanent_generation)) heads.push_back(headOf(fieldAddress(gc, g.permanent_generation)));

    std::vector<std::uint64_t> out;
    std::size_t scanned = 0;
    for (std::uint64_t head : heads) {
        try {
            scanList(head, scanned, out);
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("a GC list ({:#x}) ended early: {}", head, fault.what()));
        }
    }
    if (scanned >= m_reader.limits().maxGcObjects)
        notes.push_back(fmt::format("stopped looking for greenlets after {} tracked objects", scanned));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// nullopt when the object's implementation does not point back at it: the
// layout is wrong for this build, or the greenlet is being torn down.
std::optional<Raw> GreenletCollector::readRaw(std::uint64_t object)
{
    const auto& memory = m_reader.memory();
    Raw raw;
    raw.object = object;
    raw.type = m_reader.typeOf(object);
    const std::uint64_t impl = memory.readPointer(object + m_pimpl);
    if (impl == 0 || readPointerField(memory, impl, m_layout.self) != object) return std::nullopt;
    raw.stackStart = readPointerField(memory, impl, m_layout.stackStart);
    raw.stackStop = readPointerField(memory, impl, m_layout.stackStop);
    raw.topFrame = readPointerField(memory, impl, m_layout.topFrame);
    if (raw.main()) {
        raw.mainGreenlet = object;
        raw.threadState = readPointerField(memory, impl, m_layout.threadState);
    } else {
        raw.mainGreenlet = readPointerField(memory, impl, m_layout.mainGreenlet);
        raw.parent = readPointerField(memory, impl, m_layout.parent);
        raw.run = readPointerField(memory, impl, m_layout.runCallable);
    }
    return raw;
}

void GreenletCollector::describeGevent(const Raw& raw, snapshot::Greenlet& out)
{
    out.hub = hasBaseNamed(raw.type, "Hub");
    DictItems attrs = m_attributes.all(raw.object, m_reader.limits().maxContainerItems);
    if (auto name = m_dicts.findStr(attrs, "name")) out.name = m_reader.readString(*name);
    if (auto spawned = m_dicts.findStr(attrs, "_run")) {
        auto what = describeCallable(m_reader, *spawned);
        if (what.qualname) out.run = what.module ? *what.module + "." + *what.qualname : *what.qualname;
    }
    if (out.state != snapshot::GreenletState::Suspended || out.hub || out.frames.empty()) return;
    // What it is switched out on: the gevent object its innermost frame holds.
    const auto& top = out.frames.front();
    if (!top.address || !top.codeAddress) return;
    for (const auto& local : m_locals.values(*top.address, *top.codeAddress)) {
        if (local.object == 0) continue;
        const std::uint64_t type = m_reader.typeOf(local.object);
        for (const char* waitable : kGeventWaitables) {
            if (!hasBaseNamed(type, waitable)) continue;
            out.waitsFor = fmt::format("{} = {}", local.name, m_repr.repr(local.object));
            return;
        }
    }
}

snapshot::Greenlet GreenletCollector::describe(const Raw& raw, std::uint64_t current)
{
    const auto& memory = m_reader.memory();
    const auto& rt = m_reader.runtime();
    snapshot::Greenlet out;
    out.address = raw.object;
    out.type = m_reader.typeName(raw.type).value_or("?");
    out.main = raw.main();
    if (raw.parent != 0) out.parent = raw.parent;
    if (raw.stackStop == 0)
        out.state = snapshot::GreenletState::NotStarted;
    else if (raw.stackStart == 0)
        out.state = snapshot::GreenletState::Dead;
    else if (raw.object == current)
        out.state = snapshot::GreenletState::Running;
    else
        out.state = snapshot::GreenletState::Suspended;

    if (out.state == snapshot::GreenletState::Suspended) {
        if (raw.topFrame == 0) {
            out.notes.push_back("suspended outside Python code: no Python frames");
        } else {
            // _top_frame is a frame object; 3.11+ walks its interpreter frame,
            // whose chain greenlet relinks past C-stack frames while suspended.
            std::uint64_t start = raw.topFrame;
            if (rt.caps.frames != FrameModel::FrameObjects)
                start = readPointerField(memory, raw.topFrame, rt.layout.frameObject.f_frame);
            FrameWalk walk = m_frames.walkFrom(start);
            out.frames = std::move(walk.frames);
            out.notes.insert(out.notes.end(), walk.notes.begin(), walk.notes.end());
        }
    }
    if (raw.run != 0) {
        try {
            auto what = describeCallable(m_reader, raw.run);
            if (what.qualname) out.run = what.module ? *what.module + "." + *what.qualname : *what.qualname;
        } catch (const target::MemoryFault&) {
        }
    }
    try {
        describeGevent(raw, out);
    } catch (const target::MemoryFault& fault) {
        out.notes.push_back(fmt::format("gevent facts unreadable: {}", fault.what()));
    }
    if (m_withLocals) {
        for (auto& frame : out.frames) {
            if (!frame.address || !frame.codeAddress) continue;
            try {
                frame.locals = m_locals.read(*frame.address, *frame.codeAddress, &frame.unboundLocals);
            } catch (const target::MemoryFault& fault) {
                out.notes.push_back(fmt::format("locals of frame {:#x} unreadable: {}", *frame.address, fault.what()));
            }
        }
    }
    return out;
}

// The thread whose stack holds the group's saved stack addresses: the one
// whose stack pointer is nearest to them. (Mappings cannot say it: with
// madvise() guard pages, adjacent thread stacks are one mapping.)
std::optional<std::size_t> GreenletCollector::threadOf(const std::vector<const Raw*>& group,
                                                       const snapshot::Snapshot& snap)
{
    std::vector<std::uint64_t> anchors;
    for (const Raw* raw : group) {
        if (raw->main() && raw->stackStart > kNeverSwitched) anchors.push_back(raw->stackStart);
        if (!raw->main() && raw->stackStop != 0) anchors.push_back(raw->stackStop);
    }
    if (anchors.empty()) return std::nullopt;
    const auto& target = m_reader.memory().target();
    std::map<std::int64_t, std::uint64_t> spByTid;
    for (const auto& t : target.threads()) {
        if (t.registers)
            spByTid[t.tid] = t.registers->rsp;
        else if (t.blockedStackPointer)
            spByTid[t.tid] = *t.blockedStackPointer;   // --nonblocking: what the kernel shows of a blocked thread
    }
    std::optional<std::size_t> best;
    std::uint64_t bestDistance = kSameStackDistance;
    for (std::size_t i = 0; i < snap.threads.size(); ++i) {
        const auto& thread = snap.threads[i];
        if (!thread.nativeId) continue;
        auto sp = spByTid.find(*thread.nativeId);
        if (sp == spByTid.end()) continue;
        for (std::uint64_t anchor : anchors) {
            std::uint64_t distance = anchor > sp->second ? anchor - sp->second : sp->second - anchor;
            if (distance < bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
    }
    return best;
}

void GreenletCollector::run(std::uint64_t gc, snapshot::Snapshot& snap)
{
    auto& facts = snap.greenlet;
    const auto& t = m_reader.runtime().layout.type;
    const auto basicSize = readField<std::int64_t>(m_reader.memory(), m_greenletType, t.tp_basicsize);
    if (basicSize < 16) {
        facts.notes.push_back(fmt::format("greenlet.greenlet has tp_basicsize {}: not a greenlet type", basicSize));
        return;
    }
    m_pimpl = static_cast<std::uint64_t>(basicSize) - 8;

    std::vector<Raw> raws;
    std::size_t unmatched = 0;
    for (std::uint64_t object : trackedGreenlets(gc, facts.notes)) {
        try {
            if (auto raw = readRaw(object))
                raws.push_back(*raw);
            else
                ++unmatched;
        } catch (const target::MemoryFault& fault) {
            facts.notes.push_back(fmt::format("greenlet {:#x} unreadable: {}", object, fault.what()));
        }
    }
    if (raws.empty() && unmatched > 0) {
        facts.notes.push_back(fmt::format("greenlet {}: none of its {} greenlets matches the layout for this version; "
                                          "greenlets are not shown", facts.version.value_or("?"), unmatched));
        return;
    }
    if (unmatched > 0)
        facts.notes.push_back(fmt::format("{} greenlets skipped: being torn down, or not matching the layout", unmatched));

    // A greenlet learns its thread's main greenlet when it starts; one not yet
    // started belongs where its parent chain leads.
    std::unordered_map<std::uint64_t, std::size_t> indexOf;
    for (std::size_t i = 0; i < raws.size(); ++i) indexOf.emplace(raws[i].object, i);
    for (auto& raw : raws) {
        std::uint64_t parent = raw.parent;
        for (std::size_t hops = 0; raw.mainGreenlet == 0 && parent != 0 && hops < m_reader.limits().maxTypeChain;
             ++hops) {
            auto it = indexOf.find(parent);
            if (it == indexOf.end()) break;
            raw.mainGreenlet = raws[it->second].mainGreenlet;
            parent = raws[it->second].parent;
        }
    }

    // Greenlets by the main greenlet of their thread.
    std::map<std::uint64_t, std::vector<const Raw*>> groups;
    std::unordered_map<std::uint64_t, const Raw*> byObject;
    for (const auto& raw : raws) {
        groups[raw.mainGreenlet].push_back(&raw);
        byObject.emplace(raw.object, &raw);
    }
    for (auto& [mainGreenlet, group] : groups) {
        std::uint64_t current = 0;
        std::uint64_t threadState = 0;
        try {
            if (auto it = byObject.find(mainGreenlet); it != byObject.end()) {
                threadState = it->second->threadState;
            } else if (auto raw = readRaw(mainGreenlet)) {
                threadState = raw->threadState;     // a main greenlet the collector does not track
            }
            if (threadState != 0)
                current = readPointerField(m_reader.memory(), threadState, m_layout.currentGreenlet);
        } catch (const target::MemoryFault& fault) {
            facts.notes.push_back(fmt::format("greenlet thread state {:#x} unreadable: {}", threadState, fault.what()));
        }
        std::vector<snapshot::Greenlet> described;
        for (const Raw* raw : group) {
            try {
                described.push_back(describe(*raw, current));
            } catch (const target::MemoryFault& fault) {
                facts.notes.push_back(fmt::format("greenlet {:#x} unreadable: {}", raw->object, fault.what()));
            }
        }
        // The running one first, then by state, each state in address order.
        std::stable_sort(described.begin(), described.end(), [](const auto& a, const auto& b) {
            return static_cast<int>(a.state) < static_cast<int>(b.state);
        });
        auto thread = threadOf(group, snap);
        if (thread && threadState != 0) {
            auto& out = snap.threads[*thread].greenlets;
            std::move(described.begin(), described.end(), std::back_inserter(out));
        } else {
            for (auto& greenlet : described) {
                greenlet.notes.push_back(threadState == 0 ? "its thread has exited"
                                                          : "its thread was not found (no stack pointer to match: the thread was running)");
                facts.withoutThread.push_back(std::move(greenlet));
            }
        }
    }
}

}  // namespace

void readGreenlets(const ObjectReader& reader, FrameWalker& frames, LocalsReader& locals, bool withLocals,
                   std::uint64_t interp, std::uint64_t gc, snapshot::Snapshot& snap)
{
    auto& facts = snap.greenlet;
    try {
        auto package = moduleGlobals(reader, interp, "greenlet");
        if (!package) return;
        DictReader dicts(reader);
        if (auto version = dicts.findStr(*package, "__version__")) facts.version = reader.readString(*version);
        if (!facts.version) {
            facts.notes.push_back("greenlet is imported but its __version__ is unreadable: greenlets are not shown");
            return;
        }
        const int minor = reader.runtime().version.minor;
        const auto layout = greenletLayout(*facts.version, minor);
        if (!layout) {
            facts.notes.push_back(fmt::format("no layout for greenlet {} on CPython 3.{}: greenlets are not shown",
                                              *facts.version, minor));
            return;
        }
        std::optional<std::uint64_t> type;
        if (auto extension = moduleGlobals(reader, interp, "greenlet._greenlet"))
            type = dicts.findStr(*extension, "greenlet");
        if (!type) type = dicts.findStr(*package, "greenlet");
        if (!type || gc == 0) {
            facts.notes.push_back("greenlet's type or the GC lists were not found: greenlets are not shown");
            return;
        }
        GreenletCollector(reader, frames, locals, withLocals, *layout, *type).run(gc, snap);
    } catch (const target::MemoryFault& fault) {
        facts.notes.push_back(fmt::format("greenlets unreadable: {}", fault.what()));
    }
}

}  // namespace pyautopsy::runtime
