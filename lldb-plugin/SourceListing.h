// SourceListing: the lines of a source file around one line, as py-list
// prints them (line numbers, the current line marked with ">").
#pragma once

#include <string>

namespace pyautopsy::lldbplugin {

// Lines [line - context, line + context] of `path`. Throws pyautopsy::Error
// (BadInput) when the file cannot be read or is shorter than `line`.
std::string listSource(const std::string& path, int line, int context = 5);

}  // namespace pyautopsy::lldbplugin
