// SourceListing: the lines of a source file, as py-list prints them (line
// numbers, the current line marked with ">"), decoded as Python decodes
// source (report/SourceLines.h: PEP 263 declarations).
#pragma once

#include <string>

namespace pyautopsy::lldbplugin {

// Lines [first, last] of `path` (clamped to the file), marking `line`. Throws
// pyautopsy::Error (BadInput) when the file cannot be read or has no line in
// that range.
std::string listSource(const std::string& path, int line, int first, int last);

}  // namespace pyautopsy::lldbplugin
