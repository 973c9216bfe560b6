#include "runtime/layouts/DebugOffsets.h"

#include "runtime/layouts/LayoutTables.h"

#include <fmt/format.h>

#include <map>

namespace pyautopsy::runtime {
namespace {

// Which Layout field each table entry fills; the struct whose size bounds it.
struct Destination {
    Offset* field;
    const char* sizeOf;   // table entry holding the enclosing struct's size
};

std::map<std::string, Destination> targetsFor(Layout& l)
{
    return {
        {"runtime_state.size", {&l.runtime.size, nullptr}},
        {"runtime_state.finalizing", {&l.runtime.finalizing, "runtime_state.size"}},
        {"runtime_state.interpreters_head", {&l.runtime.interpreters_head, "runtime_state.size"}},
        {"interpreter_state.size", {&l.interpreter.size, nullptr}},
        {"interpreter_state.id", {&l.interpreter.id, "interpreter_state.size"}},
        {"interpreter_state.next", {&l.interpreter.next, "interpreter_state.size"}},
        {"interpreter_state.threads_head", {&l.interpreter.threads_head, "interpreter_state.size"}},
        {"interpreter_state.threads_main", {&l.interpreter.threads_main, "interpreter_state.size"}},
        {"interpreter_state.gc", {&l.interpreter.gc, "interpreter_state.size"}},
        {"interpreter_state.imports_modules", {&l.interpreter.modules, "interpreter_state.size"}},
        {"interpreter_state.sysdict", {&l.interpreter.sysdict, "interpreter_state.size"}},
        {"interpreter_state.builtins", {&l.interpreter.builtins, "interpreter_state.size"}},
        {"interpreter_state.ceval_gil", {&l.interpreter.ceval_gil, "interpreter_state.size"}},
        {"interpreter_state.gil_runtime_state", {&l.interpreter._gil, "interpreter_state.size"}},
        {"thread_state.size", {&l.thread.size, nullptr}},
        {"thread_state.prev", {&l.thread.prev, "thread_state.size"}},
        {"thread_state.next", {&l.thread.next, "thread_state.size"}},
        {"thread_state.interp", {&l.thread.interp, "thread_state.size"}},
        {"thread_state.current_frame", {&l.thread.current_frame, "thread_state.size"}},
        {"thread_state.base_frame", {&l.thread.base_frame, "thread_state.size"}},
        {"thread_state.thread_id", {&l.thread.thread_id, "thread_state.size"}},
        {"thread_state.native_thread_id", {&l.thread.native_thread_id, "thread_state.size"}},
        {"thread_state.datastack_chunk", {&l.thread.datastack_chunk, "thread_state.size"}},
        {"thread_state.status", {&l.thread.status, "thread_state.size"}},
        {"thread_state.holds_gil", {&l.thread.holds_gil, "thread_state.size"}},
        {"debugger_support.eval_breaker", {&l.thread.eval_breaker, "thread_state.size"}},
        {"interpreter_frame.size", {&l.interpreterFrame.size, nullptr}},
        {"interpreter_frame.previous", {&l.interpreterFrame.previous, "interpreter_frame.size"}},
        {"interpreter_frame.executable", {&l.interpreterFrame.f_code, "interpreter_frame.size"}},
        {"interpreter_frame.instr_ptr", {&l.interpreterFrame.instr_ptr, "interpreter_frame.size"}},
        {"interpreter_frame.localsplus", {&l.interpreterFrame.localsplus, "interpreter_frame.size"}},
        {"interpreter_frame.owner", {&l.interpreterFrame.owner, "interpreter_frame.size"}},
        {"interpreter_frame.stackpointer", {&l.interpreterFrame.stacktop, "interpreter_frame.size"}},
        {"code_object.size", {&l.code.size, nullptr}},
        {"code_object.filename", {&l.code.co_filename, "code_object.size"}},
        {"code_object.name", {&l.code.co_name, "code_object.size"}},
        {"code_object.qualname", {&l.code.co_qualname, "code_object.size"}},
        {"code_object.linetable", {&l.code.co_linetable, "code_object.size"}},
        {"code_object.firstlineno", {&l.code.co_firstlineno, "code_object.size"}},
        {"code_object.argcount", {&l.code.co_argcount, "code_object.size"}},
        {"code_object.localsplusnames", {&l.code.co_localsplusnames, "code_object.size"}},
        {"code_object.localspluskinds", {&l.code.co_localspluskinds, "code_object.size"}},
        // co_code_adaptive is the flexible array member at the very end: <= size.
        {"code_object.co_code_adaptive", {&l.code.co_code_adaptive, nullptr}},
        {"pyobject.ob_type", {&l.object.ob_type, "pyobject.size"}},
        {"type_object.tp_name", {&l.type.tp_name, "type_object.size"}},
        {"type_object.tp_flags", {&l.type.tp_flags, "type_object.size"}},
        {"type_object.tp_basicsize", {&l.type.tp_basicsize, "type_object.size"}},
        {"type_object.tp_dictoffset", {&l.type.tp_dictoffset, "type_object.size"}},
        {"tuple_object.ob_item", {&l.object.tuple_items, nullptr}},
        {"tuple_object.ob_size", {&l.object.tuple_size, "tuple_object.size"}},
        {"list_object.ob_item", {&l.object.list_items, "list_object.size"}},
        {"list_object.ob_size", {&l.object.list_size, "list_object.size"}},
        {"dict_object.ma_keys", {&l.object.dict_keys, "dict_object.size"}},
        {"dict_object.ma_values", {&l.object.dict_values, "dict_object.size"}},
        {"float_object.ob_fval", {&l.object.float_value, "float_object.size"}},
        {"long_object.lv_tag", {&l.object.long_size, "long_object.size"}},
        {"long_object.ob_digit", {&l.object.long_digits, nullptr}},
        {"bytes_object.ob_size", {&l.object.bytes_size, "bytes_object.size"}},
        {"bytes_object.ob_sval", {&l.object.bytes_sval, nullptr}},
        {"unicode_object.state", {&l.object.unicode_state, "unicode_object.size"}},
        {"unicode_object.length", {&l.object.unicode_length, "unicode_object.size"}},
        {"unicode_object.asciiobject_size", {&l.object.unicode_ascii_size, nullptr}},
        {"unicode_object.compactunicodeobject_size", {&l.object.unicode_compact_size, nullptr}},
        {"gc.size", {&l.gc.size, nullptr}},
        {"gc.collecting", {&l.gc.collecting, "gc.size"}},
        {"gc.frame", {&l.gc.frame, "gc.size"}},
        {"set_object.used", {&l.object.set_used, "set_object.size"}},
        {"set_object.table", {&l.object.set_table, "set_object.size"}},
        {"set_object.mask", {&l.object.set_mask, "set_object.size"}},
        {"gen_object.gi_name", {&l.gen.gi_name, "gen_object.size"}},
        {"gen_object.gi_iframe", {&l.gen.gi_iframe, "gen_object.size"}},
        {"gen_object.gi_frame_state", {&l.gen.gi_frame_state, "gen_object.size"}},
    };
}

constexpr std::uint64_t kMaxStructSize = 1 << 20;   // no CPython struct we read is near 1 MiB

}  // namespace

DebugOffsetsResult applyDebugOffsets(const target::Memory& memory, std::uint64_t runtimeAddress, int minor,
                                     Layout& layout)
{
    DebugOffsetsResult result;
    // Every word after cookie/version/free_threaded, named "<sub-struct>.<member>";
    // names pyautopsy does not use are listed too, as they keep the positions right.
    auto names = debugOffsetFields(minor);
    if (names.empty()) {
        result.notes.push_back(fmt::format("no description of _Py_DebugOffsets for 3.{}", minor));
        return result;
    }
    std::vector<std::uint64_t> raw(3 + names.size());
    try {
        memory.readBytes(runtimeAddress, raw.data(), raw.size() * sizeof(std::uint64_t));
    } catch (const target::MemoryFault& fault) {
        result.notes.push_back(fmt::format("cannot read _Py_DebugOffsets: {}", fault.what()));
        return result;
    }
    result.version = raw[1];
    result.freeThreaded = raw[2] != 0;

    std::map<std::string, std::uint64_t> values;
    for (std::size_t i = 0; i < names.size(); ++i) values[names[i]] = raw[3 + i];
    result.interpreterSize = values["interpreter_state.size"];

    // Validate everything before changing anything: a half-applied table is worse than none.
    for (const auto& [name, value] : values) {
        bool isSize = name.ends_with(".size") || name.ends_with("_size");
        if (isSize && value > kMaxStructSize) {
            result.notes.push_back(fmt::format("_Py_DebugOffsets {} = {} is implausible; using tables", name, value));
            return result;
        }
    }
    auto targets = targetsFor(layout);
    for (const auto& [name, target] : targets) {
        auto it = values.find(name);
        if (it == values.end() || target.sizeOf == nullptr) continue;
        auto size = values.find(target.sizeOf);
        if (size != values.end() && it->second >= size->second) {
            result.notes.push_back(fmt::format("_Py_DebugOffsets {} = {} lies outside its struct ({} bytes); using tables",
                                               name, it->second, size->second));
            return result;
        }
    }

    for (const auto& [name, target] : targets) {
        auto it = values.find(name);
        if (it == values.end()) continue;
        auto value = static_cast<Offset>(it->second);
        if (has(*target.field) && *target.field != value) {
            result.notes.push_back(fmt::format("_Py_DebugOffsets {} = {} differs from the table ({})", name, value,
                                               *target.field));
        }
        *target.field = value;
    }
    // The GIL entries are offsets from the interpreter, not inside the GIL struct.
    auto gil = values.find("interpreter_state.gil_runtime_state");
    auto locked = values.find("interpreter_state.gil_runtime_state_locked");
    auto holder = values.find("interpreter_state.gil_runtime_state_holder");
    if (gil != values.end() && locked != values.end() && holder != values.end() && locked->second > gil->second &&
        holder->second > gil->second) {
        layout.gil.locked = static_cast<Offset>(locked->second - gil->second);
        layout.gil.last_holder = static_cast<Offset>(holder->second - gil->second);
    }
    result.applied = true;
    return result;
}

}  // namespace pyautopsy::runtime
