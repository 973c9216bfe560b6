#include "runtime/objects/ObjectReader.h"

#include "runtime/objects/ScalarReader.h"

#include <algorithm>

namespace pyautopsy::runtime {

std::uint64_t ObjectReader::typeOf(std::uint64_t object) const
{
    return m_memory.readPointer(object + static_cast<std::uint64_t>(m_runtime.layout.object.ob_type));
}

std::uint64_t ObjectReader::typeFlags(std::uint64_t type) const
{
    return m_memory.read<std::uint64_t>(type + static_cast<std::uint64_t>(m_runtime.layout.type.tp_flags));
}

std::optional<std::string> ObjectReader::typeName(std::uint64_t type) const
{
    if (type == 0) return std::nullopt;
    std::uint64_t name = 0;
    if (m_memory.readSome(type + static_cast<std::uint64_t>(m_runtime.layout.type.tp_name), &name, sizeof name) !=
            sizeof name ||
        name == 0)
        return std::nullopt;
    std::string text = m_memory.readCString(name, 256);
    if (text.empty()) return std::nullopt;
    return text;
}

std::optional<std::string> ObjectReader::readString(std::uint64_t object) const
{
    if (object == 0 || (typeFlags(typeOf(object)) & encoding::kTpFlagsUnicodeSubclass) == 0) return std::nullopt;
    return readStrUtf8(*this, object, m_limits.maxStringBytes);
}

std::optional<std::vector<std::uint8_t>> ObjectReader::readBytes(std::uint64_t object, std::size_t maxBytes) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0 || (typeFlags(typeOf(object)) & encoding::kTpFlagsBytesSubclass) == 0) return std::nullopt;
    auto size = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.bytes_size));
    if (size < 0 || static_cast<std::uint64_t>(size) > maxBytes) return std::nullopt;
    return m_memory.readBlock(object + static_cast<std::uint64_t>(o.bytes_sval), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> ObjectReader::readSmallInt(std::uint64_t object) const
{
    if (object == 0 || (typeFlags(typeOf(object)) & encoding::kTpFlagsLongSubclass) == 0) return std::nullopt;
    // Three 30-bit digits hold any 64-bit value; toInt64 says when it does not fit.
    auto value = readLong(*this, object, 3);
    return value ? toInt64(*value) : std::nullopt;
}

std::optional<std::vector<std::uint64_t>> ObjectReader::readTupleItems(std::uint64_t object) const
{
    const auto& o = m_runtime.layout.object;
    if (object == 0 || (typeFlags(typeOf(object)) & encoding::kTpFlagsTupleSubclass) == 0) return std::nullopt;
    auto size = m_memory.read<std::int64_t>(object + static_cast<std::uint64_t>(o.tuple_size));
    if (size < 0) return std::nullopt;
    std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(size), m_limits.maxContainerItems);
    std::vector<std::uint64_t> items(count);
    m_memory.readBytes(object + static_cast<std::uint64_t>(o.tuple_items), items.data(), count * sizeof(std::uint64_t));
    return items;
}

bool ObjectReader::isCodeObject(std::uint64_t object) const
{
    if (object == 0) return false;
    std::uint64_t type = 0;
    if (m_memory.readSome(object + static_cast<std::uint64_t>(m_runtime.layout.object.ob_type), &type, sizeof type) !=
        sizeof type)
        return false;
    if (m_runtime.objects.codeType) return type == *m_runtime.objects.codeType;
    // Without the binary we cannot know &PyCode_Type; the type's name is in the
    // binary's .rodata too, so it may be unreadable. Then judge by shape: a code
    // object's name and filename are str objects.
    if (auto name = typeName(type)) return *name == "code";
    const auto& c = m_runtime.layout.code;
    try {
        auto isStr = [&](Offset field) {
            std::uint64_t value = m_memory.readPointer(object + static_cast<std::uint64_t>(field));
            return value != 0 && (typeFlags(typeOf(value)) & encoding::kTpFlagsUnicodeSubclass) != 0;
        };
        return isStr(c.co_name) && isStr(c.co_filename);
    } catch (const target::MemoryFault&) {
        return false;
    }
}

}  // namespace pyautopsy::runtime
