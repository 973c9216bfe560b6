#include "batch/CommandRunner.h"

#include "batch/CoreName.h"
#include "batch/CoreProbe.h"
#include "batch/SignalPipe.h"
#include "batch/TreeTerminator.h"
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
#include <sys/prctl.h>
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

std::string signalName(int signal)
{
    switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return fmt::format("signal {}", signal);
    }
}

// Snapshot the tree below pyautopsy, then end it.
HangResult handleHang(const RunOptions& options, pid_t child, std::string trigger, double afterSeconds,
                      RunOutcome& outcome)
{
    HangResult hang;
    hang.trigger = std::move(trigger);
    hang.afterSeconds = afterSeconds;
    hang.timeoutSeconds = std::chrono::duration<double>(*options.hangTimeout).count();
    TreeCaptureOptions capture = options.capture;
    capture.includeRoot = false;     // the root is pyautopsy itself
    try {
        hang.tree = captureTree(::getpid(), capture);
    } catch (const std::exception& e) {
        // Whatever went wrong, the tree must still be ended below.
        hang.tree.root = ::getpid();
        hang.tree.notes.push_back(fmt::format("the snapshot failed: {}", e.what()));
    }
    const Termination ended = terminateDescendants(child, options.killGrace);
    if (ended.commandStatus) outcome.waitStatus = *ended.commandStatus;
    hang.leftovers = ended.leftovers;
    return hang;
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

    const bool watchHang = options.hangTimeout.has_value();
    std::optional<SignalPipe> signals;
    if (watchHang) {
        // Orphans of the command are re-parented to us, not to init, so the
        // hang snapshot sees them and the termination reaches them.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
            outcome.notes.push_back(fmt::format("cannot become a child subreaper: {}; orphaned processes of the "
                                                "command may escape the hang snapshot", std::strerror(errno)));
        signals.emplace();
    }

    std::fflush(nullptr);
    const auto startedAt = std::chrono::steady_clock::now();
    const pid_t child = ::fork();
    if (child < 0) throw Error(ErrorKind::System, fmt::format("cannot fork: {}", std::strerror(errno)));
    if (child == 0) {
        // Its own process group, as under timeout(1): a signal CI sends to
        // pyautopsy's group reaches pyautopsy, which snapshots the tree first.
        if (watchHang) ::setpgid(0, 0);
        enableCoreDumps();
        ::execvp(argv[0], argv.data());
        std::fprintf(stderr, "pyautopsy: run: cannot execute %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
    }
    if (watchHang) ::setpgid(child, child);   // both sides: whichever runs first
    // Like system(3): a Ctrl-C is for the command; we stay to collect and
    // report. With a hang timeout, SIGINT and SIGTERM go to `signals` instead.
    struct sigaction ignore{}, oldInt{}, oldQuit{};
    ignore.sa_handler = SIG_IGN;
    if (!watchHang) ::sigaction(SIGINT, &ignore, &oldInt);
    ::sigaction(SIGQUIT, &ignore, &oldQuit);

    Collector collector(cwd, options.coresDir, outcome);
    alignas(inotify_event) char buffer[16384];
    bool commandDone = false;
    for (;;) {
        if (watchHang) {
            // Reap everything: adopted orphans too, or they linger as zombies.
            if (auto status = reapChildren(child)) {
                outcome.waitStatus = *status;
                commandDone = true;
            }
            if (commandDone && !anyDescendantRunning()) break;
            std::optional<std::string> trigger;
            if (auto signal = signals->take()) trigger = signalName(*signal);
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - startedAt).count();
            if (!trigger && std::chrono::steady_clock::now() - startedAt >= *options.hangTimeout) trigger = "timeout";
            if (trigger) {
                outcome.hang = handleHang(options, child, *trigger, elapsed, outcome);
                break;
            }
        } else {
            int status = 0;
            const pid_t done = ::waitpid(child, &status, WNOHANG);
            if (done == child) {
                outcome.waitStatus = status;
                break;
            }
            if (done < 0 && errno != EINTR) break;
        }
        pollfd fds[2] = {{watch, POLLIN, 0}, {signals ? signals->fd() : -1, POLLIN, 0}};
        // Short polls while watching for a hang: the timeout and the tree's end are checked between them.
        const int ready = ::poll(fds, 2, watchHang ? 20 : 100);
        if (watch < 0 || ready <= 0 || !(fds[0].revents & POLLIN)) continue;   // poll slept for us
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
    if (!watchHang) ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGQUIT, &oldQuit, nullptr);
    signals.reset();

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
