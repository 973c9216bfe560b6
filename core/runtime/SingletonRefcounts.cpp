#include "runtime/SingletonRefcounts.h"

#include <fmt/format.h>

#include <array>

namespace pyautopsy::runtime {
namespace {

constexpr int kSmallNegInts = 5;   // _PY_NSMALLNEGINTS: small_ints[0] is -5 in every version
constexpr std::array<int, 5> kSmallInts = {-5, 0, 1, 255, 256};

std::uint64_t at(std::uint64_t base, Offset offset) { return base + static_cast<std::uint64_t>(offset); }

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
        c.address = at(rt.address, L.runtime.small_ints) + index * static_cast<std::uint64_t>(L.object.long_struct_size);
        c.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.small_ints) && mainInterp != 0) {
        std::uint64_t p = 0;
        if (reader.memory().readSome(at(mainInterp, L.interpreter.small_ints) + 8 * index, &p, 8) == 8 && p != 0)
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

std::vector<Candidate> candidates(const ObjectReader& reader, const target::ModuleIndex& modules,
                                  std::uint64_t mainInterp)
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
        tuple.address = at(rt.address, L.runtime.tuple_empty);
        tuple.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.tuple_free_list) && mainInterp != 0) {
        tuple.address = pointerAt(reader.memory(), at(mainInterp, L.interpreter.tuple_free_list));
        tuple.foundBy = "interp->tuple.free_list[0]";
    }
    out.push_back(tuple);

    Candidate str{"''", std::nullopt, "", "PyUnicode_Type", std::nullopt};
    if (has(L.runtime.str_empty)) {
        str.address = at(rt.address, L.runtime.str_empty);
        str.foundBy = "_PyRuntime static singletons";
    } else if (has(L.interpreter.str_empty) && mainInterp != 0) {
        str.address = pointerAt(reader.memory(), at(mainInterp, L.interpreter.str_empty));
        str.foundBy = "interp->unicode.empty_string";
    } else if (auto var = findCPythonSymbol(modules, rt, "unicode_empty")) {
        // 3.8-3.9: a static PyObject* in unicodeobject.c, named only in .symtab.
        str.address = pointerAt(reader.memory(), *var);
        str.foundBy = "symbol unicode_empty";
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
                                                                std::vector<std::string>& notes)
{
    const Runtime& rt = reader.runtime();
    std::vector<snapshot::SingletonRefcount> out;
    std::vector<std::string> missing;
    for (const Candidate& c : candidates(reader, modules, mainInterp)) {
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
            auto raw = reader.memory().read<std::uint64_t>(at(*c.address, rt.layout.object.ob_refcnt));
            std::optional<std::uint16_t> flags;
            if (has(rt.layout.object.ob_flags))
                flags = reader.memory().read<std::uint16_t>(at(*c.address, rt.layout.object.ob_flags));
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
