// Greenlets: the greenlets of a thread -- the one running on it and every
// suspended one with its own Python stack -- as plain facts.
//
// Filled by core/runtime/stdlib/GreenletReader; empty when the target never
// imported greenlet. A greenlet shares its thread's native stack, so the
// running one's frames are the thread's frames and are not repeated here.
#pragma once

#include "snapshot/Frame.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::snapshot {

enum class GreenletState {
    Running,        // its frames are the thread's frames
    Suspended,      // switched out; `frames` is where it stopped
    NotStarted,     // created, never switched to
    Dead,           // run() returned or raised
};

struct Greenlet {
    std::uint64_t address = 0;              // the greenlet object
    std::string type;                       // tp_name: "greenlet.greenlet", "Greenlet", "Hub", ...
    GreenletState state = GreenletState::Suspended;
    bool main = false;                      // the thread's main greenlet (the thread's own stack)
    std::optional<std::uint64_t> parent;    // where it returns to when it ends
    std::optional<std::string> name;        // gevent: Greenlet.name, when it was given or computed
    std::optional<std::string> run;         // what it runs: the run() callable, or gevent's spawned function
    bool hub = false;                       // gevent's hub (it runs the event loop)
    std::vector<Frame> frames;              // suspended: its stack, innermost first
    std::optional<std::string> waitsFor;    // gevent: what a suspended greenlet is switched out on
    std::vector<std::string> notes;
};

struct GreenletFacts {
    std::optional<std::string> version;     // greenlet.__version__
    std::vector<Greenlet> withoutThread;    // greenlets of threads that are gone or not found
    std::vector<std::string> notes;
};

inline const char* greenletStateName(GreenletState state)
{
    switch (state) {
    case GreenletState::Running: return "running";
    case GreenletState::Suspended: return "suspended";
    case GreenletState::NotStarted: return "not started";
    case GreenletState::Dead: return "dead";
    }
    return "unknown";
}

}  // namespace pyautopsy::snapshot
