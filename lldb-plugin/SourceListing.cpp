#include "SourceListing.h"

#include "report/SourceLines.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::lldbplugin {

std::string listSource(const std::string& path, int line, int first, int last)
{
    // readSource reads regular files only, and at most kMaxSourceBytes of them.
    const auto text = report::readSource(path, std::nullopt);
    if (!text) throw Error(ErrorKind::BadInput, fmt::format("cannot read {}: not a readable file on this machine", path));
    const int count = static_cast<int>(text->lines.size());
    first = std::max(1, first);
    last = std::min(last, count);
    if (first > last)
        throw Error(ErrorKind::BadInput,
                    fmt::format("{} has no line {}: it has {} lines (did the file change since the process loaded it?)",
                                path, first, count));
    std::string out;
    for (int number = first; number <= last; ++number)
        out += fmt::format("{} {:>5}  {}\n", number == line ? ">" : " ", number,
                           text->lines[static_cast<std::size_t>(number - 1)]);
    return out;
}

}  // namespace pyautopsy::lldbplugin
