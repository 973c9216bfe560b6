#include "runtime/objects/ModuleLookup.h"

#include "runtime/layouts/Encodings.h"
#include "runtime/layouts/Field.h"
#include "runtime/objects/DictReader.h"

namespace pyautopsy::runtime {

std::optional<std::uint64_t> importedModule(const ObjectReader& reader, std::uint64_t interp, std::string_view name)
{
    const auto& L = reader.runtime().layout;
    if (!has(L.interpreter.modules)) return std::nullopt;
    std::uint64_t modules = readPointerField(reader.memory(), interp, L.interpreter.modules);
    if (modules == 0 || (reader.typeFlags(reader.typeOf(modules)) & encoding::kTpFlagsDictSubclass) == 0) return std::nullopt;
    return DictReader(reader).findStr(modules, name);
}

std::optional<std::uint64_t> moduleGlobals(const ObjectReader& reader, std::uint64_t interp, std::string_view name)
{
    const auto& L = reader.runtime().layout;
    if (!has(L.object.module_dict)) return std::nullopt;
    auto module = importedModule(reader, interp, name);
    if (!module) return std::nullopt;
    std::uint64_t globals = readPointerField(reader.memory(), *module, L.object.module_dict);
    if (globals == 0) return std::nullopt;
    return globals;
}

}  // namespace pyautopsy::runtime
