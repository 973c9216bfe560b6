#include "batch/CommandRunner.h"

#include "batch/CoreName.h"
#include "batch/CoreProbe.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

namespace fs = std::filesystem;

class Collector {
public:
    Collector(fs::path watched, fs::path into, RunOutcome& outcome)
        : m_watched(std::move(watched)), m_into(std::move(into)), m_outcome(outcome)
    {
    }

    // A file in the watched directory that may be a finished core.
    void consider(const std::string& name)
    {
        if (parseCoreName(name).style == NameStyle::NotACoreName) return;
        const fs::path path = m_watched / name;
        const CoreProbe probe = probeCore(path.string());
        if (!probe.elfCore) return;
        const std::string base = probe.pid ? fmt::format("core.{}", *probe.pid) : name;
        fs::path target = m_into / base;
        for (int n = 1; fs::exists(target) && n < 1000; ++n) target = m_into / fmt::format("{}.{}", base, n);
        std::error_code ec;
        fs::rename(path, target, ec);
        if (ec) {  // another file system: copy, then remove
            fs::copy_file(path, target, ec);
            if (!ec) fs::remove(path, ec);
        }
        if (ec) m_outcome.notes.push_back(fmt::format("cannot move {} to {}: {}", path.string(), target.string(), ec.message()));
        else m_outcome.collected.push_back(target.string());
    }

private:
    fs::path m_watched, m_into;
    RunOutcome& m_outcome;
};

std::string readFirstLine(const char* path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

void enableCoreDumps()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_CORE, &limit) != 0) return;
    limit.rlim_cur = limit.rlim_max;  // as far as we may: unlimited when the hard limit allows
    ::setrlimit(RLIMIT_CORE, &limit);
}

}  // namespace

int shellExitStatus(int waitStatus)
{
    if (WIFEXITED(waitStatus)) return WEXITSTATUS(waitStatus);
    if (WIFSIGNALED(waitStatus)) return 128 + WTERMSIG(waitStatus);
    return 1;
}

RunOutcome runCollectingCores(const RunOptions& options)
{
    if (options.command.empty()) throw Error(ErrorKind::Usage, "run: no command given (pyautopsy run -- CMD ...)");
    RunOutcome outcome;
    const fs::path cwd = fs::current_path();
    // One second of slack: file systems with coarse timestamps.
    const auto started = fs::file_time_type::clock::now() - std::chrono::seconds(1);
    std::error_code ec;
    fs::create_directories(options.coresDir, ec);
    if (ec) throw Error(ErrorKind::System, fmt::format("cannot create {}: {}", options.coresDir, ec.message()));

    const std::string pattern = readFirstLine("/proc/sys/kernel/core_pattern");
    if (!pattern.empty() && pattern[0] == '|')
        outcome.notes.push_back(fmt::format("core_pattern pipes cores to '{}'; they are not written to files here "
                                            "(for systemd-coredump: coredumpctl dump)", pattern.substr(1)));

    const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (watch >= 0 && ::inotify_add_watch(watch, cwd.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        outcome.notes.push_back(fmt::format("cannot watch {}: {}; cores are collected when the command ends",
                                            cwd.string(), std::strerror(errno)));
    }
    struct WatchCloser { int fd; ~WatchCloser() { if (fd >= 0) ::close(fd); } } closer{watch};

    std::vector<char*> argv;
    for (const auto& arg : options.command) argv.push_back(const_cast<char*>(arg.c_str()));  // execvp's signature
    argv.push_back(nullptr);

    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) throw Error(ErrorKind::System, fmt::format("cannot fork: {}", std::strerror(errno)));
    if (child == 0) {
        enableCoreDumps();
        ::execvp(argv[0], argv.data());
        std::fprintf(stderr, "pyautopsy: run: cannot execute %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
    }
    // Like system(3): a Ctrl-C is for the command; we stay to collect and report.
    struct sigaction ignore{}, oldInt{}, oldQuit{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, &oldInt);
    ::sigaction(SIGQUIT, &ignore, &oldQuit);

    Collector collector(cwd, options.coresDir, outcome);
    alignas(inotify_event) char buffer[16384];
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) {
            outcome.waitStatus = status;
            break;
        }
        if (done < 0 && errno != EINTR) break;
        pollfd fd{watch, POLLIN, 0};
        if (watch < 0 || ::poll(&fd, 1, 100) <= 0) {
            if (watch < 0) ::usleep(100000);
            continue;
        }
        for (;;) {
            const ssize_t n = ::read(watch, buffer, sizeof buffer);
            if (n <= 0) break;
            for (ssize_t at = 0; at < n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
                if (event->len > 0) collector.consider(event->name);
                at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
    }
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGQUIT, &oldQuit, nullptr);

    // Cores the watch did not report (a full inotify queue, no inotify):
    // core-named files written since the command started. Older ones are not
    // ours to move.
    for (const auto& entry : fs::directory_iterator(cwd, ec)) {
        std::error_code statError;
        if (entry.is_regular_file(statError) && entry.last_write_time(statError) >= started && !statError)
            collector.consider(entry.path().filename().string());
    }
    return outcome;
}

}  // namespace pyautopsy::batch
