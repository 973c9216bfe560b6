#include "target/ProcMaps.h"

#include <charconv>

namespace pyautopsy::target {

namespace {

// Consumes a hex number followed by `separator` from the front of `line`.
bool takeHex(std::string_view& line, char separator, std::uint64_t& value)
{
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value, 16);
    if (ec != std::errc() || end == line.data() + line.size() || *end != separator) return false;
    line.remove_prefix(static_cast<std::size_t>(end - line.data()) + 1);
    return true;
}

bool takeField(std::string_view& line, std::string_view& field)
{
    auto space = line.find(' ');
    if (space == std::string_view::npos) return false;
    field = line.substr(0, space);
    line.remove_prefix(space + 1);
    return true;
}

}  // namespace

std::vector<Mapping> parseProcMaps(std::string_view text)
{
    std::vector<Mapping> mappings;
    while (!text.empty()) {
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

        Mapping mapping;
        std::string_view perms, device, inode;
        if (!takeHex(line, '-', mapping.start) || !takeHex(line, ' ', mapping.end) || !takeField(line, perms)
            || perms.size() < 3 || !takeHex(line, ' ', mapping.fileOffset) || !takeField(line, device)) {
            continue;
        }
        if (!takeField(line, inode)) line = {};  // no path: anonymous memory
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        mapping.path = std::string(line);
        mapping.readable = perms[0] == 'r';
        mapping.writable = perms[1] == 'w';
        mapping.executable = perms[2] == 'x';
        if (mapping.end > mapping.start) mappings.push_back(std::move(mapping));
    }
    return mappings;
}

}  // namespace pyautopsy::target
