#include "runtime/repr/ObjectRepr.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/ContainerItems.h"
#include "runtime/objects/DictReader.h"
#include "runtime/objects/FreedMemory.h"
#include "runtime/objects/InstanceAttributes.h"
#include "runtime/objects/ScalarReader.h"
#include "runtime/repr/ReprFormat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pyautopsy::runtime {
namespace {


// Keeps the cycle-guard stack right when a nested read throws.
class ActiveGuard {
public:
    ActiveGuard(std::vector<std::uint64_t>& active, std::uint64_t object) : m_active(active) { m_active.push_back(object); }
    ~ActiveGuard() { m_active.pop_back(); }
    ActiveGuard(const ActiveGuard&) = delete;
    ActiveGuard& operator=(const ActiveGuard&) = delete;

private:
    std::vector<std::uint64_t>& m_active;
};

}  // namespace

ObjectRepr::TypeInfo ObjectRepr::classify(std::uint64_t type)
{
    const auto& t = m_reader.runtime().layout.type;
    const auto& memory = m_reader.memory();
    TypeInfo info;
    info.name = m_reader.typeName(type).value_or("?");

    // The builtin (static) type this one derives from, and whether it inherits its repr.
    std::uint64_t base = type;
    for (std::size_t hops = 0; base != 0 && (m_reader.typeFlags(base) & encoding::kTpFlagsHeapType); ++hops) {
        if (hops >= m_reader.limits().maxTypeChain) return info;
        base = readPointerField(memory, base, t.tp_base);
    }
    if (base == 0) return info;
    info.exact = base == type;
    if (!info.exact && readPointerField(memory, type, t.tp_repr) != readPointerField(memory, base, t.tp_repr)) {
        // The subclass has its own __repr__, which we cannot run, unless it is
        // one of collections' whose result we know how to build.
        info.kind = pythonRepr(type);
        return info;
    }

    static const std::pair<const char*, Kind> kBuiltins[] = {
        {"NoneType", Kind::None},   {"bool", Kind::Bool},          {"int", Kind::Int},
        {"float", Kind::Float},     {"complex", Kind::Complex},    {"str", Kind::Str},
        {"bytes", Kind::Bytes},     {"tuple", Kind::Tuple},        {"list", Kind::List},
        {"dict", Kind::Dict},       {"set", Kind::Set},            {"frozenset", Kind::FrozenSet},
        {"function", Kind::Function}, {"type", Kind::Type},        {"ellipsis", Kind::Ellipsis},
        {"NotImplementedType", Kind::NotImplemented},              {"cell", Kind::Cell},
        {"builtin_function_or_method", Kind::BuiltinFunction},     {"builtin_method", Kind::BuiltinFunction},
        {"module", Kind::Module},   {"range", Kind::Range},        {"slice", Kind::Slice},
        {"code", Kind::Code},       {"frame", Kind::Frame},        {"method-wrapper", Kind::MethodWrapper},
        {"collections.OrderedDict", Kind::OrderedDict},            {"collections.defaultdict", Kind::DefaultDict},
        {"collections.deque", Kind::Deque},
    };
    auto baseName = m_reader.typeName(base);
    if (!baseName) return info;
    Kind kind = Kind::Other;
    for (const auto& [name, k] : kBuiltins)
        if (*baseName == name) kind = k;

    // The subclass bits of tp_flags must agree, so a stray static type with a
    // builtin's name is not decoded as one.
    const std::uint64_t flags = m_reader.typeFlags(base);
    auto hasFlag = [&](std::uint64_t bit) { return (flags & bit) != 0; };
    if (kind == Kind::Other && hasFlag(encoding::kTpFlagsBaseExcSubclass)) kind = exceptionRepr(base);
    bool consistent = true;
    switch (kind) {
    case Kind::Int:
    case Kind::Bool: consistent = hasFlag(encoding::kTpFlagsLongSubclass); break;
    case Kind::Str: consistent = hasFlag(encoding::kTpFlagsUnicodeSubclass); break;
    case Kind::Bytes: consistent = hasFlag(encoding::kTpFlagsBytesSubclass); break;
    case Kind::Tuple: consistent = hasFlag(encoding::kTpFlagsTupleSubclass); break;
    case Kind::List: consistent = hasFlag(encoding::kTpFlagsListSubclass); break;
    case Kind::Dict:
    case Kind::OrderedDict:
    case Kind::DefaultDict: consistent = hasFlag(encoding::kTpFlagsDictSubclass); break;
    case Kind::Type: consistent = hasFlag(encoding::kTpFlagsTypeSubclass); break;
    default: break;
    }
    if (consistent) info.kind = kind;
    return info;
}

const ObjectRepr::TypeInfo& ObjectRepr::typeInfo(std::uint64_t type)
{
    if (auto it = m_types.find(type); it != m_types.end()) return it->second;
    TypeInfo info;
    try {
        info = classify(type);
    } catch (const target::MemoryFault&) {
        info = TypeInfo{};
    }
    return m_types.emplace(type, std::move(info)).first->second;
}

bool ObjectRepr::isCell(std::uint64_t object)
{
    try {
        return object != 0 && typeInfo(m_reader.typeOf(object)).kind == Kind::Cell;
    } catch (const target::MemoryFault&) {
        return false;
    }
}

std::string ObjectRepr::qualifiedName(std::uint64_t type)
{
    const auto& t = m_reader.runtime().layout.type;
    const auto& memory = m_reader.memory();
    std::string tpName = m_reader.typeName(type).value_or("?");
    if ((m_reader.typeFlags(type) & encoding::kTpFlagsHeapType) == 0) return tpName;   // "module.Name" already, or a builtin
    // Heap types: __qualname__ and the "__module__" entry of the type's dict.
    std::string qualname = tpName;
    if (has(t.ht_qualname)) {
        std::uint64_t q = readPointerField(memory, type, t.ht_qualname);
        if (q && (m_reader.typeFlags(m_reader.typeOf(q)) & encoding::kTpFlagsUnicodeSubclass))
            qualname = readStrUtf8(m_reader, q, m_reader.limits().maxStringBytes).value_or(tpName);
    }
    std::uint64_t dict = readPointerField(memory, type, t.tp_dict);
    if (dict == 0) return tpName;
    std::optional<std::uint64_t> module;
    try {
        module = DictReader(m_reader).findStr(dict, "__module__");
    } catch (const target::MemoryFault&) {
        return tpName;   // an unreadable type dict costs the repr its module prefix, nothing more
    }
    if (!module || (m_reader.typeFlags(m_reader.typeOf(*module)) & encoding::kTpFlagsUnicodeSubclass) == 0) return tpName;
    auto name = readStrUtf8(m_reader, *module, m_reader.limits().maxStringBytes);
    if (!name || *name == "builtins") return tpName;
    return *name + "." + qualname;
}

std::string ObjectRepr::repr(std::uint64_t object)
{
    std::string out;
    m_active.clear();
    m_cut = false;
    render(object, 0, out);
    // A container left open because the output was full must still end with
    // the marker, even when what was written is short enough in characters.
    if (m_cut && !out.ends_with(repr::kTruncationMarker)) out += repr::kTruncationMarker;
    repr::truncate(out, m_reader.limits().maxReprLength);
    return out;
}

void ObjectRepr::render(std::uint64_t object, std::size_t depth, std::string& out)
{
    if (object == 0) {
        out += "<NULL>";
        return;
    }
    const std::size_t mark = out.size();
    try {
        const TypeInfo& info = typeInfo(m_reader.typeOf(object));
        renderKnown(object, info, depth, out);
    } catch (const target::MemoryFault&) {
        out.resize(mark);
        // Contents that cannot be read: object.__repr__'s form when the type
        // still reads as one, so the user learns at least what it was.
        std::optional<std::string> type;
        try {
            type = m_reader.typeNameOf(object);
        } catch (const target::MemoryFault&) {
            type.reset();
        }
        const bool plausible = type && !type->empty() && type->size() < 256 &&
                               std::all_of(type->begin(), type->end(), [](char c) { return c > ' ' && c < 0x7F; });
        out += plausible ? fmt::format("<{} object at {:#x}>", *type, object)
                         : fmt::format("<invalid object at {:#x}>", object);
        // Freed by the debug allocator, yet still referenced.
        if (m_freed.size() < 64 && isFreedObject(m_reader, object)) m_freed.push_back(object);
    }
}

std::vector<std::uint64_t> ObjectRepr::takeFreed()
{
    std::vector<std::uint64_t> freed;
    freed.swap(m_freed);
    std::sort(freed.begin(), freed.end());
    freed.erase(std::unique(freed.begin(), freed.end()), freed.end());
    return freed;
}

void ObjectRepr::renderKnown(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    const auto& limits = m_reader.limits();

    // Containers: cycles and depth first, with Python's own elision marker.
    const char* elided = nullptr;
    switch (info.kind) {
    case Kind::Tuple: elided = "(...)"; break;
    case Kind::List: elided = "[...]"; break;
    case Kind::Dict: elided = "{...}"; break;
    case Kind::Set:
    case Kind::FrozenSet: elided = "{...}"; break;
    case Kind::Deque: elided = "[...]"; break;            // deque_repr's own marker
    case Kind::OrderedDict:
    case Kind::Counter: elided = "..."; break;            // odict_repr's (Counter: reprlib-free, the same)
    default: break;
    }
    if (elided && (depth >= limits.maxReprDepth ||
                   std::find(m_active.begin(), m_active.end(), object) != m_active.end())) {
        out += elided;
        return;
    }

    switch (info.kind) {
    case Kind::None: out += "None"; return;
    case Kind::Ellipsis: out += "Ellipsis"; return;
    case Kind::NotImplemented: out += "NotImplemented"; return;
    case Kind::Bool: {
        auto value = readLong(m_reader, object, 1);
        if (!value) break;
        out += value->digits.empty() ? "False" : "True";
        return;
    }
    case Kind::Int: {
        auto value = readLong(m_reader, object, m_reader.limits().maxReprIntDigits);
        if (!value) {
            out += fmt::format("<int too large to show at {:#x}>", object);
            return;
        }
        out += repr::formatInt(value->negative, value->digits);
        return;
    }
    case Kind::Float: out += repr::formatFloat(readField<double>(memory, object, o.float_value)); return;
    case Kind::Complex: {
        double parts[2];
        memory.readBytes(fieldAddress(object, o.complex_value), parts, sizeof parts);
        out += repr::formatComplex(parts[0], parts[1]);
        return;
    }
    case Kind::Str: {
        auto value = readStr(m_reader, object, limits.maxReprLength + 1);
        if (!value) break;
        out += repr::formatStr(value->text, value->truncated);
        return;
    }
    case Kind::Bytes: {
        auto size = readField<std::int64_t>(memory, object, o.bytes_size);
        if (size < 0) break;
        std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(size), limits.maxReprLength + 1);
        std::vector<std::uint8_t> data(count);
        if (count) memory.readBytes(fieldAddress(object, o.bytes_sval), data.data(), count);
        out += repr::formatBytes(data, count < static_cast<std::size_t>(size));
        return;
    }
    case Kind::Tuple:
    case Kind::List: {
        const bool tuple = info.kind == Kind::Tuple;
        auto size = readField<std::int64_t>(memory, object, tuple ? o.tuple_size : o.list_size);
        if (size < 0) break;
        // Only what can still be shown is read: each item takes at least one byte.
        auto items = sequenceItems(m_reader, object, tuple, std::min(limits.maxContainerItems, limits.maxReprLength + 1));
        ActiveGuard guard(m_active, object);
        out += tuple ? '(' : '[';
        renderItems(items, depth, out);
        if (tuple && size == 1) out += ',';
        out += tuple ? ')' : ']';
        return;
    }
    case Kind::Dict: {
        ActiveGuard guard(m_active, object);
        renderDict(object, depth, out);
        return;
    }
    case Kind::Set:
    case Kind::FrozenSet: {
        ActiveGuard guard(m_active, object);
        renderSet(object, info, depth, out);
        return;
    }
    case Kind::Function: {
        std::uint64_t q = readPointerField(memory, object, o.func_qualname);
        auto name = q ? readStrUtf8(m_reader, q, limits.maxStringBytes) : std::nullopt;
        if (!name) break;
        out += fmt::format("<function {} at {:#x}>", *name, object);
        return;
    }
    case Kind::Type: out += fmt::format("<class '{}'>", qualifiedName(object)); return;
    case Kind::BuiltinFunction:
        if (renderBuiltinFunction(object, out)) return;
        break;
    case Kind::Module:
        if (renderModule(object, out)) return;
        break;
    case Kind::UserWrapper:
        if (auto data = InstanceAttributes(m_reader).find(object, "data"); data && *data) {
            render(*data, depth, out);
            return;
        }
        break;
    case Kind::Exception:
    case Kind::ImportError:
        if (renderException(object, info, depth, out)) return;
        break;
    case Kind::Range:
        if (renderRange(object, depth, out)) return;
        break;
    case Kind::Slice:
        if (renderSlice(object, depth, out)) return;
        break;
    case Kind::Code:
        if (renderCode(object, out)) return;
        break;
    case Kind::Frame:
        if (renderFrame(object, out)) return;
        break;
    case Kind::MethodWrapper:
        if (renderMethodWrapper(object, out)) return;
        break;
    case Kind::OrderedDict: {
        ActiveGuard guard(m_active, object);
        if (renderOrderedDict(object, info, depth, out)) return;
        break;
    }
    case Kind::DefaultDict: {
        // defdict_repr lets dict's repr mark a cycle or the depth limit: "{...}" for the dict part only.
        const bool elideDict = depth >= limits.maxReprDepth ||
                               std::find(m_active.begin(), m_active.end(), object) != m_active.end();
        ActiveGuard guard(m_active, object);
        if (renderDefaultDict(object, info, depth, elideDict, out)) return;
        break;
    }
    case Kind::Deque: {
        ActiveGuard guard(m_active, object);
        if (renderDeque(object, info, depth, out)) return;
        break;
    }
    case Kind::Counter: {
        ActiveGuard guard(m_active, object);
        if (renderCounter(object, info, depth, out)) return;
        break;
    }
    case Kind::Cell:
    case Kind::Other: break;
    }
    // object.__repr__: also the fallback for a builtin whose header made no sense.
    out += fmt::format("<{} object at {:#x}>", qualifiedName(m_reader.typeOf(object)), object);
}

void ObjectRepr::renderItems(const std::vector<std::uint64_t>& items, std::size_t depth, std::string& out)
{
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (full(out)) {
            m_cut = true;
            return;
        }
        if (i) out += ", ";
        render(items[i], depth + 1, out);
    }
}

void ObjectRepr::renderDict(std::uint64_t object, std::size_t depth, std::string& out)
{
    const auto& limits = m_reader.limits();
    DictItems items = DictReader(m_reader).items(object, std::min(limits.maxContainerItems, limits.maxReprLength + 1));
    out += '{';
    for (std::size_t i = 0; i < items.items.size(); ++i) {
        if (full(out)) {
            m_cut = true;
            return;
        }
        if (i) out += ", ";
        render(items.items[i].key, depth + 1, out);
        out += ": ";
        render(items.items[i].value, depth + 1, out);
    }
    out += '}';
}

void ObjectRepr::renderSet(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& limits = m_reader.limits();
    const std::size_t limit = std::min(limits.maxContainerItems, limits.maxReprLength + 1);
    auto items = setItems(m_reader, object, limit);
    // set_repr: "set()" / "frozenset()" when empty, "{...}" for an exact set, "Name({...})" otherwise.
    const bool bare = info.exact && info.kind == Kind::Set;
    if (items.empty()) {
        out += info.name + "()";
        return;
    }
    if (!bare) out += info.name + "(";
    out += '{';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (full(out)) {
            m_cut = true;
            return;
        }
        if (i) out += ", ";
        render(items[i], depth + 1, out);
    }
    if (items.size() >= limit) {   // cut short
        m_cut = true;
        return;
    }
    out += '}';
    if (!bare) out += ')';
}

// Which of collections' __repr__s a heap type gets, if any: the first class
// up its tp_base chain that defines __repr__ is UserDict, UserList or
// UserString (repr(self.data)), Counter (most common first), or (3.12+, where
// they are heap types) deque or defaultdict.
ObjectRepr::Kind ObjectRepr::pythonRepr(std::uint64_t type)
{
    const auto& t = m_reader.runtime().layout.type;
    const auto& memory = m_reader.memory();
    DictReader dicts(m_reader);
    for (std::size_t hops = 0; type != 0 && hops < m_reader.limits().maxTypeChain; ++hops) {
        if ((m_reader.typeFlags(type) & encoding::kTpFlagsHeapType) == 0) return Kind::Other;
        const std::string name = qualifiedName(type);
        if (name == "collections.UserDict" || name == "collections.UserList" || name == "collections.UserString")
            return Kind::UserWrapper;
        if (name == "collections.Counter") return Kind::Counter;
        // _collections' C types are heap types from 3.12 (static before: classify() names those).
        if (name == "collections.deque") return Kind::Deque;
        if (name == "collections.defaultdict")
            return (m_reader.typeFlags(type) & encoding::kTpFlagsDictSubclass) ? Kind::DefaultDict : Kind::Other;
        const std::uint64_t dict = readPointerField(memory, type, t.tp_dict);
        if (dict != 0 && dicts.findStr(dict, "__repr__")) return Kind::Other;
        type = readPointerField(memory, type, t.tp_base);
    }
    return Kind::Other;
}

// Which repr the static exception type `type` has: BaseException's, or
// ImportError's (its own from 3.15, adding name= and path=), or another.
ObjectRepr::Kind ObjectRepr::exceptionRepr(std::uint64_t type)
{
    const auto& t = m_reader.runtime().layout.type;
    const auto& memory = m_reader.memory();
    const std::uint64_t repr = readPointerField(memory, type, t.tp_repr);
    bool importError = false;
    for (std::size_t hops = 0; type != 0 && hops < m_reader.limits().maxTypeChain; ++hops) {
        const auto name = m_reader.typeName(type);
        const bool same = readPointerField(memory, type, t.tp_repr) == repr;
        if (name == std::optional<std::string>("ImportError")) importError = same;
        if (name == std::optional<std::string>("BaseException"))
            return same ? Kind::Exception : importError ? Kind::ImportError : Kind::Other;
        type = readPointerField(memory, type, t.tp_base);
    }
    return Kind::Other;
}

std::string ObjectRepr::shortName(const std::string& tpName)
{
    const auto dot = tpName.rfind('.');
    return dot == std::string::npos ? tpName : tpName.substr(dot + 1);
}

// meth_repr: a function of a module (or of nothing), or a method bound to its instance.
bool ObjectRepr::renderBuiltinFunction(std::uint64_t object, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (!has(o.cfunction_ml) || !has(o.methoddef_name) || !has(o.cfunction_self)) return false;
    const std::uint64_t def = readPointerField(memory, object, o.cfunction_ml);
    if (def == 0) return false;
    const std::uint64_t namePointer = readPointerField(memory, def, o.methoddef_name);
    const std::string name = namePointer ? memory.readCString(namePointer, m_reader.limits().maxStringBytes) : "";
    if (name.empty()) return false;
    const std::uint64_t self = readPointerField(memory, object, o.cfunction_self);
    if (self == 0 || typeInfo(m_reader.typeOf(self)).kind == Kind::Module) {
        out += fmt::format("<built-in function {}>", name);
        return true;
    }
    auto selfType = m_reader.typeNameOf(self);   // tp_name as written, "_io.TextIOWrapper"
    if (!selfType) return false;
    out += fmt::format("<built-in method {} of {} object at {:#x}>", name, *selfType, self);
    return true;
}

// importlib's _module_repr: the name, then where it came from: __file__, or
// the spec's origin ("built-in", "frozen"), or nothing.
bool ObjectRepr::renderModule(std::uint64_t object, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    const std::size_t maxString = m_reader.limits().maxStringBytes;
    if (!has(o.module_dict)) return false;
    const std::uint64_t dict = readPointerField(memory, object, o.module_dict);
    if (dict == 0) return false;
    DictReader dicts(m_reader);
    auto textAt = [&](std::optional<std::uint64_t> value) -> std::optional<std::u32string> {
        if (!value || *value == 0) return std::nullopt;
        auto text = readStr(m_reader, *value, maxString);
        return text ? std::optional<std::u32string>(text->text) : std::nullopt;
    };
    auto name = textAt(dicts.findStr(dict, "__name__"));
    if (!name) return false;
    if (auto file = textAt(dicts.findStr(dict, "__file__"))) {
        out += fmt::format("<module {} from {}>", repr::formatStr(*name), repr::formatStr(*file));
        return true;
    }
    std::optional<std::u32string> origin;
    if (auto spec = dicts.findStr(dict, "__spec__"); spec && *spec) {
        try {
            origin = textAt(InstanceAttributes(m_reader).find(*spec, "origin"));
        } catch (const target::MemoryFault&) {
            origin.reset();   // an unreadable spec: the name alone, as for a module without one
        }
    }
    if (!origin || origin->empty()) {
        // The spec's origin of the two importers that have no file: their class says it.
        origin.reset();
        if (auto loader = dicts.findStr(dict, "__loader__"); loader && *loader &&
                                                               typeInfo(m_reader.typeOf(*loader)).kind == Kind::Type) {
            const std::string importer = qualifiedName(*loader);
            if (importer.ends_with("BuiltinImporter")) origin = U"built-in";
            else if (importer.ends_with("FrozenImporter")) origin = U"frozen";
        }
    }
    out += fmt::format("<module {}", repr::formatStr(*name));
    if (origin) {
        out += " (";
        for (char32_t c : *origin) repr::appendUtf8(out, c);
        out += ")";
    }
    out += ">";
    return true;
}

}  // namespace pyautopsy::runtime
