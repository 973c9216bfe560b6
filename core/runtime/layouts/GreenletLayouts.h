// GreenletLayouts: where the greenlet extension (2.x and 3.x, C++) keeps a
// greenlet's state, per greenlet major version and CPython minor version.
//
// greenlet publishes no offsets and Debian ships no debug info for it, so the
// numbers were taken with offsetof() over greenlet's own headers compiled
// against each CPython's headers (docs/greenlets.md says how to redo it for a
// new release). The reader trusts a row only after the target confirms it:
// every greenlet's implementation must point back at its Python object.
#pragma once

#include "runtime/layouts/Layout.h"

#include <optional>
#include <string_view>

namespace pyautopsy::runtime {

struct GreenletLayout {
    int greenletMajor = 0;
    int pythonMinor = 0;
    // PyGreenlet.pimpl is the last member of the object: tp_basicsize - 8.
    // Inside the implementation (greenlet::Greenlet and its subclasses):
    Offset self = kAbsent;          // the PyGreenlet it implements
    Offset stackStart = kAbsent;    // StackState::_stack_start: null once dead or before the start
    Offset stackStop = kAbsent;     // StackState::stack_stop: null before the start, -1 for a main greenlet
    Offset topFrame = kAbsent;      // PythonState::_top_frame: where a suspended greenlet stopped
    Offset mainGreenlet = kAbsent;  // UserGreenlet::_main_greenlet: its thread's main greenlet
    Offset runCallable = kAbsent;   // UserGreenlet::_run_callable: run(), until it starts
    Offset parent = kAbsent;        // UserGreenlet::_parent
    Offset threadState = kAbsent;   // MainGreenlet::_thread_state: greenlet's per-thread state
    Offset currentGreenlet = kAbsent;   // ThreadState::current_greenlet: the one running in that thread
};

// The row for greenlet `version` ("3.3.2") on CPython 3.`pythonMinor`; nullopt
// for versions we have no row for (1.x is C with another layout).
std::optional<GreenletLayout> greenletLayout(std::string_view version, int pythonMinor);

}  // namespace pyautopsy::runtime
