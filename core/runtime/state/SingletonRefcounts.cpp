#include "runtime/state/SingletonRefcounts.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"

#include <fmt/format.h>

#include <array>
#include <set>

namespace pyautopsy::runtime {
namespace {

constexpr int kSmallNegInts = 5;   // _PY_NSMALLNEGINTS: small_ints[0] is -5 in every version
constexpr std::array<int, 5> kSmallInts = {-5, 0, 1, 255, 256};

struct Candidate {
    std::string name;
    std::optional<std::uint64_t> address;
    std::string foundBy;
    const char* typeSymbol = nullptr;   // the exported type the object must have
    std::optional<int> intValue;        // small ints: the value it must hold
};

// Where the version keeps the small int `value`, or nullopt.
std::optional<Candidate> smallInt(const ObjectReader& reader, const target::ModuleIndex& modules,
                                  std::uint64_t mainInterp, int value)
{
    const Runtime& rt = reader.runtime();
    const auto& L = rt.layout;
    Candidate c{std::to_string(value), std::nullopt, "", "PyLong_Type", value};
    const auto index = static_cast<std::uint64_t>(value + kSmallNegInts);
    if (has(L.runtime.small_ints) && has(L.object.long_struct_size)) {
        c.address = fieldAddress(rt.address, L.runtime.small_ints) + index * static_cast<std::uint64_t>(L.object.long_struct_size);
        c.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.small_ints) && mainInterp != 0) {
        std::uint64_t p = 0;
        if (reader.memory().readSome(fieldAddress(mainInterp, L.interpreter.small_ints) + 8 * index, &p, 8) == 8 && p != 0)
            c.address = p;
        c.foundBy = "interp->small_ints";
    } else if (has(L.object.long_struct_size)) {
        // 3.8: a static array in longobject.c, named only in .symtab.
        if (auto base = findCPythonSymbol(modules, rt, "small_ints"))
            c.address = *base + index * static_cast<std::uint64_t>(L.object.long_struct_size);
        c.foundBy = "symbol small_ints";
    }
    return c;
}

std::optional<std::uint64_t> pointerAt(const target::Memory& memory, std::uint64_t address)
{
    std::uint64_t p = 0;
    if (memory.readSome(address, &p, sizeof p) != sizeof p || p == 0) return std::nullopt;
    return p;
}


// 3.8-3.9 keep () in a static free list (tupleobject.c free_list[0]) with no
// exported symbol. Every code object without free or cell variables holds it
// as co_freevars/co_cellvars (the compiler and marshal build them with
// PyTuple_New(0), which returns the singleton), so the code objects on the
// threads' stacks name it. Sound only when the references agree: two
// different empty tuples, or fewer than two references, report nothing.
void emptyTupleFromCode(const ObjectReader& reader, const std::vector<std::uint64_t>& codeObjects, Candidate& out,
                        std::vector<std::string>& notes)
{
    const auto& L = reader.runtime().layout;
    if (!has(L.code.co_freevars) || !has(L.code.co_cellvars)) return;
    std::set<std::uint64_t> found;
    std::size_t references = 0;
    std::size_t asked = 0;
    for (std::uint64_t code : codeObjects) {
        if (asked++ >= reader.limits().maxEmptyTupleProbes) break;
        for (Offset field : {L.code.co_freevars, L.code.co_cellvars}) {
            auto tuple = pointerAt(reader.memory(), fieldAddress(code, field));
            if (!tuple || (reader.typeFlags(reader.typeOf(*tuple)) & encoding::kTpFlagsTupleSubclass) == 0) continue;
            std::int64_t size = -1;
            if (reader.memory().readSome(fieldAddress(*tuple, L.object.tuple_size), &size, sizeof size) != sizeof size ||
                size != 0)
                continue;
            found.insert(*tuple);
            ++references;
        }
    }
    if (found.size() > 1) {
        notes.push_back(fmt::format("() not reported: code objects hold {} different empty tuples", found.size()));
    } else if (found.size() == 1 && references >= 2) {
        out.address = *found.begin();
        out.foundBy = fmt::format("co_freevars/co_cellvars of the code objects on the stacks ({} references)",
                                  references);
    } else {
        notes.push_back(fmt::format("() not reported: {} empty co_freevars/co_cellvars among the {} code objects on "
                                    "the stacks (needs two that agree)", references, codeObjects.size()));
    }
}

// 3.8-3.9 keep '' in a static variable (unicodeobject.c unicode_empty), named
// only in .symtab. Every empty str CPython makes is that singleton
// (PyUnicode_New(0) returns it), and two are set at start-up by importlib for
// every process: builtins.__package__ and sys.__package__ (the empty parent
// of a top-level module); release builds add sys.abiflags. Each must be an
// exact str of length 0, and all of them (and the .symtab symbol, where the
// binary has one) must agree, or nothing is reported.
void emptyStrFromModules(const ObjectReader& reader, const target::ModuleIndex& modules, std::uint64_t mainInterp,
                         Candidate& out, std::vector<std::string>& notes)
{
    const Runtime& rt = reader.runtime();
    const auto& L = rt.layout;
    if (mainInterp == 0) return;
    const auto strType = findCPythonSymbol(modules, rt, "PyUnicode_Type");
    DictReader dicts(reader);
    std::vector<std::pair<std::string, std::uint64_t>> refs;
    auto consider = [&](const char* name, Offset dictField, const char* key) {
        auto dict = pointerAt(reader.memory(), fieldAddress(mainInterp, dictField));
        if (!dict) return;
        auto value = dicts.findStr(*dict, key);
        if (!value || (strType && reader.typeOf(*value) != *strType)) return;
        std::int64_t length = -1;
        if (reader.memory().readSome(fieldAddress(*value, L.object.unicode_length), &length, sizeof length) != sizeof length ||
            length != 0)
            return;
        refs.emplace_back(name, *value);
    };
    try {
        consider("builtins.__package__", L.interpreter.builtins, "__package__");
        consider("sys.__package__", L.interpreter.sysdict, "__package__");
        consider("sys.abiflags", L.interpreter.sysdict, "abiflags");
    } catch (const target::MemoryFault& fault) {
        notes.push_back(fmt::format("'' not located: the sys and builtins modules are unreadable: {}", fault.what()));
        return;
    }
    std::vector<std::string> names;
    std::set<std::uint64_t> found;
    for (const auto& [name, address] : refs) {
        names.push_back(name);
        found.insert(address);
    }
    if (auto var = findCPythonSymbol(modules, rt, "unicode_empty")) {
        if (auto address = pointerAt(reader.memory(), *var)) {
            names.push_back("symbol unicode_empty");
            found.insert(*address);
        }
    }
    if (found.size() > 1) {
        notes.push_back(fmt::format("'' not reported: {} disagree", fmt::join(names, ", ")));
    } else if (found.size() == 1 && names.size() >= 2) {
        out.address = *found.begin();
        out.foundBy = fmt::format("{} (the same object)", fmt::join(names, ", "));
    } else if (names.size() == 1) {
        notes.push_back(fmt::format("'' not reported: only {} refers to an empty str", names.front()));
    }
}

std::vector<Candidate> candidates(const ObjectReader& reader, const target::ModuleIndex& modules,
                                  std::uint64_t mainInterp, const std::vector<std::uint64_t>& codeObjects,
                                  std::vector<std::string>& notes)
{
    const Runtime& rt = reader.runtime();
    const auto& L = rt.layout;
    std::vector<Candidate> out;
    auto symbol = [&](const char* display, const char* name, const char* type) {
        out.push_back({display, findCPythonSymbol(modules, rt, name), fmt::format("symbol {}", name), type, std::nullopt});
    };
    symbol("None", "_Py_NoneStruct", "_PyNone_Type");
    symbol("True", "_Py_TrueStruct", "PyBool_Type");
    symbol("False", "_Py_FalseStruct", "PyBool_Type");
    symbol("Ellipsis", "_Py_EllipsisObject", "PyEllipsis_Type");
    symbol("NotImplemented", "_Py_NotImplementedStruct", "_PyNotImplemented_Type");
    for (int value : kSmallInts) {
        if (auto c = smallInt(reader, modules, mainInterp, value)) out.push_back(*c);
    }

    Candidate tuple{"()", std::nullopt, "", "PyTuple_Type", std::nullopt};
    if (has(L.runtime.tuple_empty)) {
        tuple.address = fieldAddress(rt.address, L.runtime.tuple_empty);
        tuple.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.tuple_free_list) && mainInterp != 0) {
        tuple.address = pointerAt(reader.memory(), fieldAddress(mainInterp, L.interpreter.tuple_free_list));
        tuple.foundBy = "interp->tuple.free_list[0]";
    } else {
        emptyTupleFromCode(reader, codeObjects, tuple, notes);
    }
    out.push_back(tuple);

    Candidate str{"''", std::nullopt, "", "PyUnicode_Type", std::nullopt};
    if (has(L.runtime.str_empty)) {
        str.address = fieldAddress(rt.address, L.runtime.str_empty);
        str.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.str_empty) && mainInterp != 0) {
        str.address = pointerAt(reader.memory(), fieldAddress(mainInterp, L.interpreter.str_empty));
        str.foundBy = "interp->unicode.empty_string";
    } else {
        emptyStrFromModules(reader, modules, mainInterp, str, notes);
    }
    out.push_back(str);
    return out;
}

// True when the object at `c.address` is what the candidate claims to be.
bool verify(const ObjectReader& reader, const target::ModuleIndex& modules, const Candidate& c, std::string& why)
{
    std::uint64_t type = reader.typeOf(*c.address);
    if (auto expected = findCPythonSymbol(modules, reader.runtime(), c.typeSymbol)) {
        if (type != *expected) {
            why = fmt::format("its type is {:#x}, not {} ({:#x})", type, c.typeSymbol, *expected);
            return false;
        }
    }
    if (c.intValue) {
        auto value = reader.readSmallInt(*c.address);
        if (!value || *value != *c.intValue) {
            why = "it does not hold that value";
            return false;
        }
    }
    return true;
}

}  // namespace

void decodeRefcount(const Runtime& rt, std::uint64_t raw, std::optional<std::uint16_t> flags,
                    snapshot::SingletonRefcount& out)
{
    out.raw = raw;
    out.flags = flags;
    const auto low = static_cast<std::uint32_t>(raw & 0xFFFFFFFFu);
    if (has(rt.layout.object.ob_flags)) {
        // 3.14+: ob_refcnt is the low 32 bits; overflow and flags share the word.
        out.refcount = static_cast<std::int64_t>(low);
    } else {
        out.refcount = static_cast<std::int64_t>(raw);
    }
    out.immortal = rt.caps.immortalObjects && static_cast<std::int32_t>(low) < 0;
}

std::vector<snapshot::SingletonRefcount> readSingletonRefcounts(const ObjectReader& reader,
                                                                const target::ModuleIndex& modules,
                                                                std::uint64_t mainInterp,
                                                                const std::vector<std::uint64_t>& codeObjects,
                                                                std::vector<std::string>& notes)
{
    const Runtime& rt = reader.runtime();
    std::vector<snapshot::SingletonRefcount> out;
    std::vector<std::string> missing;
    for (const Candidate& c : candidates(reader, modules, mainInterp, codeObjects, notes)) {
        snapshot::SingletonRefcount s;
        s.name = c.name;
        s.foundBy = c.foundBy;
        if (!c.address) {
            missing.push_back(c.name);
            out.push_back(s);
            continue;
        }
        s.address = c.address;
        try {
            std::string why;
            if (!verify(reader, modules, c, why)) {
                notes.push_back(fmt::format("{} found at {:#x} by {}, but {}; refcount not reported", c.name,
                                            *c.address, c.foundBy, why));
                out.push_back(s);
                continue;
            }
            auto raw = readField<std::uint64_t>(reader.memory(), *c.address, rt.layout.object.ob_refcnt);
            std::optional<std::uint16_t> flags;
            if (has(rt.layout.object.ob_flags))
                flags = readField<std::uint16_t>(reader.memory(), *c.address, rt.layout.object.ob_flags);
            decodeRefcount(rt, raw, flags, s);
        } catch (const target::MemoryFault& fault) {
            notes.push_back(fmt::format("{} at {:#x} unreadable: {}", c.name, *c.address, fault.what()));
        }
        out.push_back(s);
    }
    if (!missing.empty())
        notes.push_back(fmt::format("not locatable in this build: {}", fmt::join(missing, ", ")));
    return out;
}

}  // namespace pyautopsy::runtime
