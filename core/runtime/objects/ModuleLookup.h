// ModuleLookup: an imported module of an interpreter, found in its sys.modules.
//
// The stdlib readers (threading, asyncio, multiprocessing) all start from a
// module's globals; this is the one place that finds them. A module that was
// never imported, or a sys.modules that is gone or is not a dict (cleared by
// finalization), gives nullopt; unreadable memory throws MemoryFault.
#pragma once

#include "runtime/objects/ObjectReader.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace pyautopsy::runtime {

// The module object sys.modules[name].
std::optional<std::uint64_t> importedModule(const ObjectReader& reader, std::uint64_t interp, std::string_view name);

// Its globals (md_dict).
std::optional<std::uint64_t> moduleGlobals(const ObjectReader& reader, std::uint64_t interp, std::string_view name);

}  // namespace pyautopsy::runtime
