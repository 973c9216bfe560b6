#include "runtime/objects/FreedMemory.h"

namespace pyautopsy::runtime {

bool isFreedMemory(const target::Memory& memory, std::uint64_t address)
{
    std::uint64_t words[2] = {0, 0};
    return memory.readSome(address, words, sizeof words) == sizeof words && words[0] == kDeadWord &&
           words[1] == kDeadWord;
}

bool isFreedObject(const ObjectReader& reader, std::uint64_t object)
{
    std::uint64_t type = 0;
    const auto offset = static_cast<std::uint64_t>(reader.runtime().layout.object.ob_type);
    return reader.memory().readSome(object + offset, &type, sizeof type) == sizeof type && type == kDeadWord;
}

}  // namespace pyautopsy::runtime
