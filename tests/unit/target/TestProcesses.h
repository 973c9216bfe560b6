// Helpers for target tests that need real processes: a python3.11 child that
// waits to be inspected, a core file of a python3.11 that aborted, and the
// scheduler state of a process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::target::testing {

inline const char* kPython = "/usr/bin/python3.11";

// A child running `python3.11 -c script`; the script must print "ready" once set
// up. The destructor kills and reaps it.
class PythonChild {
public:
    explicit PythonChild(const std::string& script);
    ~PythonChild();
    PythonChild(const PythonChild&) = delete;
    PythonChild& operator=(const PythonChild&) = delete;
    int pid() const { return m_pid; }
    bool ready() const { return m_ready; }

private:
    int m_pid = -1;
    int m_stdout = -1;   // read end of the child's stdout, open while it lives
    bool m_ready = false;
};

// The one-letter state from /proc/PID/stat ('S', 'R', 't' for traced-stopped...).
char processState(int pid);

// A fresh temporary directory, removed by the destructor.
struct TempDir {
    TempDir();
    ~TempDir();
    std::string path;
};

// Runs `python3.11 -c script` in `dir` with RLIMIT_CORE unlimited and returns the
// core file it left there, or nullopt (with `why`) if the kernel wrote none.
std::optional<std::string> makeCore(const std::string& dir, const std::string& script, std::string& why);

// The first occurrence of `needle` in `bytes`.
std::optional<std::size_t> findBytes(const std::vector<std::uint8_t>& bytes, const std::string& needle);

}  // namespace pyautopsy::target::testing
