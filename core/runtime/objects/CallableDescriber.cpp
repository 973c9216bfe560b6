#include "runtime/objects/CallableDescriber.h"

#include "runtime/layouts/Field.h"

namespace pyautopsy::runtime {
namespace {


std::optional<std::string> stringAt(const ObjectReader& reader, std::uint64_t object, Offset offset)
{
    if (!has(offset)) return std::nullopt;
    std::uint64_t value = readPointerField(reader.memory(), object, offset);
    if (value == 0) return std::nullopt;
    return reader.readString(value);
}

// The function a wrapper calls, or 0 when `type` is not a wrapper we know.
std::uint64_t wrapped(const ObjectReader& reader, std::uint64_t callable, const std::string& type)
{
    const auto& o = reader.runtime().layout.object;
    if (type == "method" && has(o.method_func)) return readPointerField(reader.memory(), callable, o.method_func);
    if (type == "functools.partial" && has(o.partial_fn)) return readPointerField(reader.memory(), callable, o.partial_fn);
    return 0;
}

void describeBuiltin(const ObjectReader& reader, std::uint64_t callable, CallableDescription& out)
{
    const auto& o = reader.runtime().layout.object;
    const auto& memory = reader.memory();
    if (!has(o.cfunction_ml) || !has(o.methoddef_name)) return;
    std::uint64_t def = readPointerField(memory, callable, o.cfunction_ml);
    if (def == 0) return;
    std::uint64_t namePtr = readPointerField(memory, def, o.methoddef_name);
    std::string name = namePtr ? memory.readCString(namePtr, reader.limits().maxStringBytes) : std::string();
    if (name.empty()) return;
    out.qualname = name;
    out.module = stringAt(reader, callable, o.cfunction_module);
    // A builtin method bound to an instance: Type.name, like its __qualname__.
    std::uint64_t self = has(o.cfunction_self) ? readPointerField(memory, callable, o.cfunction_self) : 0;
    if (self != 0) {
        auto selfType = reader.typeNameOf(self);
        if (selfType && *selfType != "module") out.qualname = *selfType + "." + name;
    }
}

}  // namespace

CallableDescription describeCallable(const ObjectReader& reader, std::uint64_t callable)
{
    CallableDescription out;
    const auto& o = reader.runtime().layout.object;
    std::uint64_t current = callable;
    for (std::size_t depth = 0; depth < reader.limits().maxCallableUnwrap && current != 0; ++depth) {
        auto type = reader.typeNameOf(current).value_or("?");
        if (depth == 0) {
            out.kind = type == "method"                           ? "method"
                       : type == "functools.partial"              ? "partial"
                       : type == "builtin_function_or_method"     ? "builtin"
                       : type == "function"                       ? "function"
                                                                  : type;
        }
        if (type == "function") {
            out.qualname = stringAt(reader, current, o.func_qualname);
            out.module = stringAt(reader, current, o.func_module);
            return out;
        }
        if (type == "builtin_function_or_method") {
            describeBuiltin(reader, current, out);
            return out;
        }
        std::uint64_t next = wrapped(reader, current, type);
        if (next == 0) return out;
        current = next;
    }
    return out;
}

}  // namespace pyautopsy::runtime
