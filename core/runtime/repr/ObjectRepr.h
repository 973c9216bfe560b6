// ObjectRepr: Python's repr() of an object in target memory, without running
// any Python code.
//
// Exact (equal to the target's own repr()) for None, bool, int, float,
// complex, str, bytes, tuple, list, dict, set, frozenset (and subclasses of
// them that do not override __repr__), functions, classes, Ellipsis,
// NotImplemented, builtin functions and methods (`<built-in function len>`,
// `<built-in method readlines of _io.TextIOWrapper object at 0x...>`) and
// modules (`<module 'os' from '...'>`, `<module 'sys' (built-in)>`, from
// __file__ or __spec__.origin as importlib's repr reads them), exceptions
// whose repr is BaseException's (`KeyError('k')`, `OSError(2, 'x')`) or
// 3.15's ImportError's (`ImportError('x', name='m')`), range,
// slice, code objects, frames, method-wrappers, and collections' UserDict,
// UserList, UserString, OrderedDict, defaultdict, Counter and deque (and
// their subclasses that keep that __repr__; a Counter whose counts are not
// all ints is shown in insertion order, where Python sorts what it can
// compare). Everything else is shown as object.__repr__ would:
// `<module.QualName object at 0x...>` -- also for types whose own __repr__
// we cannot run (ReprFormat.h notes the one other known difference).
//
// Bounded: a repr longer than Limits::maxReprLength characters is cut so
// that it ends with "..." and is exactly that long; containers nested deeper
// than Limits::maxReprDepth show as `[...]`/`{...}`/`(...)`, the marker Python itself uses for a container
// that contains itself (cycles are shown that way too, as Python does).
// Never throws: an object whose contents cannot be read shows as
// `<TYPE object at 0x...>` when its type reads as one, else as
// `<invalid object at 0x...>`.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pyautopsy::runtime {

class ObjectRepr {
public:
    explicit ObjectRepr(const ObjectReader& reader) : m_reader(reader) {}

    std::string repr(std::uint64_t object);

    // Freed objects met by repr() calls since the last call of takeFreed():
    // objects whose header reads as the debug allocator's freed-memory fill.
    std::vector<std::uint64_t> takeFreed();

    // Whether `object` is a cell (the box of a closure variable).
    bool isCell(std::uint64_t object);

    // The name object.__repr__ and type.__repr__ use for `type`:
    // "module.QualName", or the bare name for builtins.
    std::string qualifiedName(std::uint64_t type);

private:
    enum class Kind {
        Other, None, Bool, Int, Float, Complex, Str, Bytes, Tuple, List, Dict, Set, FrozenSet,
        Function, Type, Ellipsis, NotImplemented, Cell, BuiltinFunction, Module,
        UserWrapper,    // collections.UserDict, UserList, UserString: repr(self.data)
        Exception, ImportError, Range, Slice, Code, Frame, MethodWrapper,
        OrderedDict, DefaultDict, Deque, Counter,
    };
    struct TypeInfo {
        Kind kind = Kind::Other;
        std::string name;        // tp_name of the type (set subclasses print it)
        bool exact = true;       // the builtin type itself, not a subclass
    };

    const TypeInfo& typeInfo(std::uint64_t type);
    TypeInfo classify(std::uint64_t type);
    void render(std::uint64_t object, std::size_t depth, std::string& out);
    void renderKnown(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    void renderItems(const std::vector<std::uint64_t>& items, std::size_t depth, std::string& out);
    void renderDict(std::uint64_t object, std::size_t depth, std::string& out);
    void renderSet(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    bool renderBuiltinFunction(std::uint64_t object, std::string& out);
    bool renderModule(std::uint64_t object, std::string& out);
    Kind pythonRepr(std::uint64_t type);
    Kind exceptionRepr(std::uint64_t type);
    // BuiltinRepr.cpp: reprs CPython writes in C for its own types
    bool renderException(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    bool renderRange(std::uint64_t object, std::size_t depth, std::string& out);
    bool renderSlice(std::uint64_t object, std::size_t depth, std::string& out);
    bool renderCode(std::uint64_t object, std::string& out);
    bool renderFrame(std::uint64_t object, std::string& out);
    bool renderMethodWrapper(std::uint64_t object, std::string& out);
    // CollectionsRepr.cpp: collections' own types
    bool renderOrderedDict(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    bool renderDefaultDict(std::uint64_t object, const TypeInfo& info, std::size_t depth, bool elideDict,
                           std::string& out);
    bool renderDeque(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    bool renderCounter(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out);
    // The name repr() of an exception or collection uses: tp_name after its last dot.
    static std::string shortName(const std::string& tpName);
    bool full(const std::string& out) const { return out.size() > m_reader.limits().maxReprLength; }

    const ObjectReader& m_reader;
    std::unordered_map<std::uint64_t, TypeInfo> m_types;
    std::vector<std::uint64_t> m_active;    // containers being rendered: cycle guard
    std::vector<std::uint64_t> m_freed;     // see takeFreed()
    bool m_cut = false;                     // the current repr stopped early: it must show the marker
};

}  // namespace pyautopsy::runtime
