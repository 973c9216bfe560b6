#include "SourceListing.h"

#include "support/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace pyautopsy::lldbplugin {

std::string listSource(const std::string& path, int line, int context)
{
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::BadInput, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    const int first = std::max(1, line - context);
    const int last = line + context;
    std::string out;
    std::string text;
    bool sawLine = false;
    // Bounded by `last`: a huge or endless file (a FIFO) is read no further.
    for (int number = 1; number <= last && std::getline(in, text); ++number) {
        if (number < first) continue;
        sawLine = sawLine || number == line;
        out += fmt::format("{} {:>5}  {}\n", number == line ? ">" : " ", number, text);
    }
    if (!sawLine)
        throw Error(ErrorKind::BadInput,
                    fmt::format("{} has no line {}: the file changed since the process loaded it", path, line));
    return out;
}

}  // namespace pyautopsy::lldbplugin
