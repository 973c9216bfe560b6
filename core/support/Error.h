// Error: the one way pyautopsy reports a failure to its user.
//
// A front end catches Error at its top level, prints message() as one line and
// exits with exitCode(). Code below the front ends throws Error only for
// failures that end the whole analysis (the input is not a core, no CPython in
// the target); anything that merely limits what can be shown (an unreadable
// frame, a garbage pointer) becomes a note in the snapshot instead.
#pragma once

#include <stdexcept>
#include <string>

namespace pyautopsy {

enum class ErrorKind {
    Usage,          // bad command line: exit 2
    BadInput,       // unreadable, truncated or non-ELF input, wrong executable: exit 1
    NoRuntime,      // the target holds no CPython runtime we can read: exit 3
    Unsupported,    // a CPython we recognise but cannot read (free-threaded, too new): exit 3
    System,         // the OS refused (ptrace, permissions): exit 1
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}

    ErrorKind kind() const noexcept { return m_kind; }

    int exitCode() const noexcept
    {
        switch (m_kind) {
        case ErrorKind::Usage: return 2;
        case ErrorKind::NoRuntime:
        case ErrorKind::Unsupported: return 3;
        case ErrorKind::BadInput:
        case ErrorKind::System: return 1;
        }
        return 1;
    }

private:
    ErrorKind m_kind;
};

}  // namespace pyautopsy
