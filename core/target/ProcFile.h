// ProcFile: the whole text of a /proc file, read at once.
//
// /proc files have no size to trust (stat says 0), so they are read to the
// end; a file that vanished (the process or thread exited) reads as "".
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace pyautopsy::target {

inline std::string readProcFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace pyautopsy::target
