// SignalPipe: turns SIGTERM and SIGINT into bytes on a pipe that the run
// loop polls, so that pyautopsy itself decides what a cancellation means
// (snapshot the hung tree, then end it) instead of dying at once.
//
// The handler only write()s the signal number (async-signal-safe); the
// previous dispositions come back on destruction. One instance at a time.
#pragma once

#include <optional>

namespace pyautopsy::batch {

class SignalPipe {
public:
    SignalPipe();     // throws pyautopsy::Error(System) when no pipe can be made
    ~SignalPipe();
    SignalPipe(const SignalPipe&) = delete;
    SignalPipe& operator=(const SignalPipe&) = delete;

    int fd() const { return m_read; }   // readable when a signal arrived
    // The first signal received since the last call, if any (non-blocking).
    std::optional<int> take();

private:
    int m_read = -1;
};

}  // namespace pyautopsy::batch
