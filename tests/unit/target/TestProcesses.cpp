#include "TestProcesses.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pyautopsy::target::testing {

PythonChild::PythonChild(const std::string& script)
{
    int fds[2];
    if (::pipe(fds) != 0) return;
    m_pid = ::fork();
    if (m_pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::execl(kPython, kPython, "-c", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    char buffer[16] = {};
    ssize_t got = ::read(fds[0], buffer, sizeof buffer - 1);
    m_ready = got > 0 && std::strncmp(buffer, "ready", 5) == 0;
    // Keep the read end open for the child's lifetime: closing it here let a
    // write still in flight (the rest of "ready\n") fail with EPIPE and kill the
    // child, which then could not be traced.
    m_stdout = fds[0];
}

PythonChild::~PythonChild()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (m_stdout >= 0) ::close(m_stdout);
}

char processState(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

TempDir::TempDir()
{
    char pattern[] = "/tmp/pyautopsy-target-XXXXXX";
    path = ::mkdtemp(pattern);
}

TempDir::~TempDir()
{
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

std::optional<std::string> makeCore(const std::string& dir, const std::string& script, std::string& why)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        ::setrlimit(RLIMIT_CORE, &unlimited);
        if (::chdir(dir.c_str()) != 0) ::_exit(126);
        ::execl(kPython, kPython, "-c", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status) || !WCOREDUMP(status)) {
        why = "the child did not dump core (status " + std::to_string(status) + ")";
        return std::nullopt;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().filename().string().rfind("core", 0) == 0) return entry.path().string();
    }
    std::ifstream pattern("/proc/sys/kernel/core_pattern");
    std::string line;
    std::getline(pattern, line);
    why = "no core file in the working directory (core_pattern is '" + line + "')";
    return std::nullopt;
}

std::optional<std::size_t> findBytes(const std::vector<std::uint8_t>& bytes, const std::string& needle)
{
    auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    if (it == bytes.end()) return std::nullopt;
    return static_cast<std::size_t>(it - bytes.begin());
}

}  // namespace pyautopsy::target::testing
