#include "runtime/layouts/GreenletLayouts.h"

#include <array>
#include <charconv>

namespace pyautopsy::runtime {
namespace {

// offsetof() over greenlet 2.0.2's greenlet_greenlet.hpp and 3.3.2's
// TGreenlet.hpp / TThreadState.hpp (x86-64, release and debug CPython alike:
// the members are pointers and ints). Columns: greenlet major, CPython minor,
// self, stack start, stack stop, top frame, main greenlet, run, parent,
// thread state, current greenlet. In 2.x the back pointer is the subclasses'
// first member; 3.x moved it into the base class.
constexpr std::array kRows = {
    GreenletLayout{2, 8, 128, 64, 72, 112, 136, 144, 152, 136, 8},
    GreenletLayout{2, 9, 128, 64, 72, 112, 136, 144, 152, 136, 8},
    GreenletLayout{2, 10, 144, 64, 72, 112, 152, 160, 168, 152, 8},
    GreenletLayout{2, 11, 160, 48, 56, 96, 168, 176, 184, 168, 8},
    GreenletLayout{3, 10, 8, 72, 80, 120, 152, 160, 168, 160, 8},
    GreenletLayout{3, 11, 8, 56, 64, 104, 168, 176, 184, 176, 8},
    GreenletLayout{3, 12, 8, 56, 64, 104, 168, 176, 184, 176, 8},
    GreenletLayout{3, 13, 8, 56, 64, 104, 160, 168, 176, 168, 8},
    GreenletLayout{3, 14, 8, 56, 64, 104, 176, 184, 192, 184, 8},
    GreenletLayout{3, 15, 8, 56, 64, 104, 176, 184, 192, 184, 8},
};

}  // namespace

std::optional<GreenletLayout> greenletLayout(std::string_view version, int pythonMinor)
{
    int major = 0;
    auto [end, error] = std::from_chars(version.data(), version.data() + version.size(), major);
    if (error != std::errc() || end == version.data()) return std::nullopt;
    for (const auto& row : kRows)
        if (row.greenletMajor == major && row.pythonMinor == pythonMinor) return row;
    return std::nullopt;
}

}  // namespace pyautopsy::runtime
