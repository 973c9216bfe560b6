// BuildIdFetcher: gets an ELF file by its GNU build-id from somewhere other
// than where the target mapped it, for a core analysed on another machine.
//
// CoreFileTarget asks for a mapped file that is missing, or whose build-id
// differs from the one in the core, and says in its warnings which files came
// from where. The interface lives here so that the target layer needs no
// network library; DebuginfodFetcher (libdebuginfod) implements it and only
// the front ends that want it link it.
#pragma once

#include <optional>
#include <string>

namespace pyautopsy::target {

class BuildIdFetcher {
public:
    virtual ~BuildIdFetcher() = default;

    // A local path of the executable or shared object with this build-id
    // (lowercase hex); nullopt when no server has it. Throws Error(System)
    // with a one-line reason when the servers cannot be asked (unreachable,
    // failing): the caller then stops asking.
    virtual std::optional<std::string> fetchExecutable(const std::string& buildId) = 0;

    // Where fetched files come from, for messages: "debuginfod (URL ...)".
    virtual std::string source() const = 0;
};

}  // namespace pyautopsy::target
