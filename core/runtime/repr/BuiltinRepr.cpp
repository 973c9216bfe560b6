// ObjectRepr's renderers for reprs CPython writes in C for its own types:
// BaseException_repr, range_repr, slice_repr, code_repr, frame_repr and
// wrapper_repr (method-wrapper), restated from the fields they read.
#include "runtime/repr/ObjectRepr.h"

#include "runtime/layouts/Field.h"
#include "runtime/objects/ContainerItems.h"
#include "runtime/objects/ScalarReader.h"
#include "runtime/repr/ReprFormat.h"
#include "runtime/threads/FrameWalker.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace pyautopsy::runtime {

// "Name('one arg')", else "Name" and the args tuple: "Name()", "Name(2, 'x')".
// ImportError's (3.15) adds its name and path when set: "ImportError('x', name='m')".
bool ObjectRepr::renderException(std::uint64_t object, const TypeInfo& info, std::size_t depth, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (!has(o.exception_args)) return false;
    const std::uint64_t args = readPointerField(memory, object, o.exception_args);
    if (args == 0 || typeInfo(m_reader.typeOf(args)).kind != Kind::Tuple) return false;
    std::vector<std::pair<const char*, std::uint64_t>> extras;
    if (info.kind == Kind::ImportError) {
        if (!has(o.importerror_name) || !has(o.importerror_path)) return false;
        for (auto [label, field] : {std::pair{"name", o.importerror_name}, std::pair{"path", o.importerror_path}}) {
            const std::uint64_t value = readPointerField(memory, object, field);
            if (value != 0 && typeInfo(m_reader.typeOf(value)).kind != Kind::None) extras.emplace_back(label, value);
        }
    }
    const std::string name = shortName(info.name);
    const auto count = readField<std::int64_t>(memory, args, o.tuple_size);
    const auto items = sequenceItems(m_reader, args, true, std::min(m_reader.limits().maxContainerItems,
                                                                     m_reader.limits().maxReprLength + 1));
    if (count == 1 && items.size() != 1) return false;
    out += name + "(";
    renderItems(items, depth + 1, out);
    bool first = items.empty();
    for (const auto& [label, value] : extras) {
        out += first ? "" : ", ";
        out += label;
        out += '=';
        render(value, depth + 1, out);
        first = false;
    }
    out += ")";
    return true;
}

// "range(0, 5)", with the step only when it is not 1: "range(0, 10, 2)".
bool ObjectRepr::renderRange(std::uint64_t object, std::size_t depth, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (!has(o.range_start)) return false;
    const std::uint64_t start = readPointerField(memory, object, o.range_start);
    const std::uint64_t stop = readPointerField(memory, object, o.range_stop);
    const std::uint64_t step = readPointerField(memory, object, o.range_step);
    for (std::uint64_t part : {start, stop, step})
        if (part == 0 || typeInfo(m_reader.typeOf(part)).kind != Kind::Int) return false;
    const auto stepValue = readLong(m_reader, step, 1);
    const bool unitStep = stepValue && !stepValue->negative && stepValue->digits == std::vector<std::uint32_t>{1};
    out += "range(";
    render(start, depth + 1, out);
    out += ", ";
    render(stop, depth + 1, out);
    if (!unitStep) {
        out += ", ";
        render(step, depth + 1, out);
    }
    out += ")";
    return true;
}

// "slice(1, 2, None)": all three, whatever they are.
bool ObjectRepr::renderSlice(std::uint64_t object, std::size_t depth, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (!has(o.slice_start)) return false;
    const std::uint64_t parts[] = {readPointerField(memory, object, o.slice_start),
                                   readPointerField(memory, object, o.slice_stop),
                                   readPointerField(memory, object, o.slice_step)};
    for (std::uint64_t part : parts)
        if (part == 0) return false;
    out += "slice(";
    for (std::size_t i = 0; i < 3; ++i) {
        if (i) out += ", ";
        render(parts[i], depth + 1, out);
    }
    out += ")";
    return true;
}

// `<code object NAME at 0x..., file "FILE", line N>`: name and file as they
// are (not quoted by repr), "file ???" when co_filename is not a str.
bool ObjectRepr::renderCode(std::uint64_t object, std::string& out)
{
    const auto& c = m_reader.runtime().layout.code;
    const auto& memory = m_reader.memory();
    const std::size_t maxString = m_reader.limits().maxStringBytes;
    const std::uint64_t namePointer = readPointerField(memory, object, c.co_name);
    auto name = namePointer ? readStrUtf8(m_reader, namePointer, maxString) : std::nullopt;
    if (!name) return false;
    const std::uint64_t filePointer = readPointerField(memory, object, c.co_filename);
    auto file = filePointer ? readStrUtf8(m_reader, filePointer, maxString) : std::nullopt;
    const int line = readField<std::int32_t>(memory, object, c.co_firstlineno);
    out += fmt::format("<code object {} at {:#x}, file {}, line {}>", *name, object,
                       file ? "\"" + *file + "\"" : std::string("???"), line != 0 ? line : -1);
    return true;
}

// `<frame at 0x..., file 'FILE', line N, code NAME>`, the line as
// frame.f_lineno gives it (the frame walker's rule).
bool ObjectRepr::renderFrame(std::uint64_t object, std::string& out)
{
    const auto& rt = m_reader.runtime();
    const auto& f = rt.layout.frameObject;
    const auto& memory = m_reader.memory();
    FrameWalker walker(m_reader);
    std::optional<snapshot::Frame> frame;
    std::optional<int> line;
    if (rt.caps.frames == FrameModel::FrameObjects) {
        frame = walker.frameAt(object);
    } else {
        // 3.11+: the frame object's f_lineno, while it is set (a traced
        // frame), else the line of the interpreter frame it stands for.
        frame = walker.frameAt(readPointerField(memory, object, f.f_frame));
        if (const int fieldLine = readField<std::int32_t>(memory, object, f.f_lineno); fieldLine != 0) line = fieldLine;
    }
    if (!frame || !frame->codeAddress) return false;
    if (!line) line = frame->line;
    const std::uint64_t filePointer = readPointerField(memory, *frame->codeAddress, rt.layout.code.co_filename);
    auto file = filePointer ? readStr(m_reader, filePointer, m_reader.limits().maxStringBytes) : std::nullopt;
    if (!file || !line) return false;
    out += fmt::format("<frame at {:#x}, file {}, line {}, code {}>", object, repr::formatStr(file->text, file->truncated),
                       *line, frame->function);
    return true;
}

// `<method-wrapper '__init__' of MyList object at 0x...>`: the slot's name and
// the instance it is bound to.
bool ObjectRepr::renderMethodWrapper(std::uint64_t object, std::string& out)
{
    const auto& o = m_reader.runtime().layout.object;
    const auto& memory = m_reader.memory();
    if (!has(o.methodwrapper_descr) || !has(o.wrapperdescr_base) || !has(o.wrapperbase_name)) return false;
    const std::uint64_t descr = readPointerField(memory, object, o.methodwrapper_descr);
    const std::uint64_t self = readPointerField(memory, object, o.methodwrapper_self);
    if (descr == 0 || self == 0) return false;
    const std::uint64_t base = readPointerField(memory, descr, o.wrapperdescr_base);
    const std::uint64_t namePointer = base ? readPointerField(memory, base, o.wrapperbase_name) : 0;
    const std::string name = namePointer ? memory.readCString(namePointer, m_reader.limits().maxStringBytes) : "";
    auto selfType = m_reader.typeNameOf(self);
    if (name.empty() || !selfType) return false;
    out += fmt::format("<method-wrapper '{}' of {} object at {:#x}>", name, *selfType, self);
    return true;
}

}  // namespace pyautopsy::runtime
