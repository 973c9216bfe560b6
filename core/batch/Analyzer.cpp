#include "batch/Analyzer.h"

#include "batch/CoreProbe.h"
#include "batch/Decompress.h"
#include "engine/Engine.h"
#include "report/JsonReport.h"
#include "report/JsonValue.h"
#include "support/Error.h"
#include "target/CoreFileTarget.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxOutputBytes = 256 * 1024 * 1024;  // a report larger than this is garbage

void writeAll(int fd, const std::string& data)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the parent went away or killed us; nothing to tell
        done += static_cast<std::size_t>(n);
    }
}

nlohmann::json probeJson(const CoreProbe& probe)
{
    return {{"pid", probe.pid ? nlohmann::json(*probe.pid) : nlohmann::json(nullptr)},
            {"ppid", probe.ppid ? nlohmann::json(*probe.ppid) : nlohmann::json(nullptr)},
            {"pgrp", probe.pgrp ? nlohmann::json(*probe.pgrp) : nlohmann::json(nullptr)},
            {"command", probe.command}};
}

// Runs in the child: everything that can crash or hang on a bad core.
nlohmann::json analyseInChild(const Candidate& candidate, const std::string& tempPath, std::uint64_t maxBytes)
{
    nlohmann::json out = nlohmann::json::object();
    std::string corePath = candidate.path;
    CoreProbe probe;
    try {
        if (candidate.compression != Compression::None) {
            decompressFile(candidate.path, candidate.compression, tempPath, maxBytes);
            corePath = tempPath;
        }
        probe = probeCore(corePath);
        out["probe"] = probeJson(probe);
        if (!probe.elfCore) {
            out["error"] = candidate.compression != Compression::None ? "decompresses to something that is not an ELF core"
                                                                      : "not an ELF core";
            return out;
        }
        auto core = target::CoreFileTarget::open(corePath, {});
        engine::Report analysis = engine::analyzeAndDiagnose(*core, {});
        analysis.snapshot.target.corePath = candidate.path;  // the user's file, not our temporary copy
        for (const auto& warning : core->warnings()) analysis.snapshot.warnings.push_back(warning);
        out["report"] = report::toJson(analysis.snapshot, analysis.diagnosis);
        out["partial"] = core->truncated();
    } catch (const std::exception& e) {
        std::string message = e.what();
        // Name the user's file, not the temporary decompressed copy.
        for (auto at = message.find(tempPath); !tempPath.empty() && at != std::string::npos; at = message.find(tempPath))
            message.replace(at, tempPath.size(), candidate.path);
        // A truncated core explains most failures; say so next to the engine's reason.
        if (probe.truncated())
            message += fmt::format(" (the core file is truncated: {} of {} bytes)", probe.fileBytes, probe.expectedBytes);
        else if (probe.corruptHeaders)
            message += " (its program headers are corrupt)";
        else if (probe.elfCore && !probe.problem.empty())
            message += fmt::format(" (the core file is {})", probe.problem);
        out["error"] = message;
    }
    return out;
}

[[noreturn]] void childMain(const Candidate& candidate, const std::string& tempPath, std::uint64_t maxBytes, int fd)
{
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    std::signal(SIGPIPE, SIG_DFL);
    std::string text;
    try {
        text = report::jsonText(analyseInChild(candidate, tempPath, maxBytes), -1);
    } catch (...) {
        text = R"({"error":"internal error while writing the report"})";
    }
    writeAll(fd, text);
    ::_exit(0);
}

std::string signalName(int number)
{
    const char* abbrev = ::sigabbrev_np(number);
    return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", number);
}

struct Running {
    std::size_t index = 0;
    int fd = -1;
    std::string output;
    bool overflow = false;
    Clock::time_point start;
    std::string tempPath;
};

void finish(CoreResult& result, const Running& job, int status, bool timedOut, const AnalyzerOptions& options)
{
    result.seconds = std::chrono::duration<double>(Clock::now() - job.start).count();
    if (timedOut) {
        result.reason = fmt::format("the analysis took longer than {} s and was stopped",
                                    std::chrono::duration<double>(options.timeout).count());
        return;
    }
    if (WIFSIGNALED(status)) {
        result.reason = fmt::format("the analysis crashed ({}); the core is probably corrupt", signalName(WTERMSIG(status)));
        return;
    }
    nlohmann::json out = job.overflow ? nlohmann::json() : nlohmann::json::parse(job.output, nullptr, false);
    if (!out.is_object()) {
        result.reason = job.overflow ? "the analysis wrote an oversized report" : "the analysis ended without a report";
        return;
    }
    if (auto probe = out.find("probe"); probe != out.end() && probe->is_object()) {
        if ((*probe)["pid"].is_number_integer()) result.pid = (*probe)["pid"].get<int>();
        if ((*probe)["ppid"].is_number_integer()) result.ppid = (*probe)["ppid"].get<int>();
        if ((*probe)["pgrp"].is_number_integer()) result.pgrp = (*probe)["pgrp"].get<int>();
        if ((*probe)["command"].is_string()) result.command = (*probe)["command"].get<std::string>();
    }
    if (auto report = out.find("report"); report != out.end() && report->is_object()) {
        result.report = std::move(*report);
        result.partial = out.value("partial", false);
        const auto& signal = result.report["target"]["signal"];
        if (signal.is_object() && signal["name"].is_string()) result.signal = signal["name"].get<std::string>();
        if (result.partial) result.warnings.push_back("the core file is truncated; its report is partial");
    } else {
        result.reason = out.value("error", std::string("the analysis ended without a report"));
    }
}

}  // namespace

std::vector<CoreResult> analyseCores(const std::vector<Candidate>& candidates, const AnalyzerOptions& options)
{
    std::vector<CoreResult> results(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        results[i].path = candidates[i].path;
        results[i].compression = compressionName(candidates[i].compression);
        results[i].namePid = candidates[i].name.pid;
    }

    const std::size_t jobs = static_cast<std::size_t>(std::max(1, options.jobs));
    std::map<pid_t, Running> running;
    std::size_t next = 0, done = 0;
    std::fflush(nullptr);  // children must not re-emit the parent's buffered output

    auto spawn = [&](std::size_t index) {
        int fds[2];
        Running job;
        job.index = index;
        job.start = Clock::now();
        if (candidates[index].compression != Compression::None)
            job.tempPath = fmt::format("{}/core-{}", options.tempDir, index);
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            results[index].reason = fmt::format("cannot create a pipe: {}", std::strerror(errno));
            ++done;
            return;
        }
        const pid_t pid = ::fork();
        if (pid < 0) {
            results[index].reason = fmt::format("cannot fork: {}", std::strerror(errno));
            ::close(fds[0]);
            ::close(fds[1]);
            ++done;
            return;
        }
        if (pid == 0) {
            ::close(fds[0]);
            childMain(candidates[index], job.tempPath, options.maxCoreBytes, fds[1]);
        }
        ::close(fds[1]);
        job.fd = fds[0];
        running.emplace(pid, std::move(job));
    };

    auto reap = [&](pid_t pid, bool timedOut) {
        Running& job = running.at(pid);
        if (timedOut) ::kill(pid, SIGKILL);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        ::close(job.fd);
        finish(results[job.index], job, status, timedOut, options);
        if (!job.tempPath.empty()) ::unlink(job.tempPath.c_str());
        running.erase(pid);
        ++done;
        if (options.progress) options.progress(done, candidates.size());
    };

    if (options.progress) options.progress(0, candidates.size());
    while (next < candidates.size() || !running.empty()) {
        while (running.size() < jobs && next < candidates.size()) spawn(next++);
        if (running.empty()) continue;

        std::vector<pollfd> fds;
        std::vector<pid_t> pids;
        auto now = Clock::now();
        auto wait = std::chrono::milliseconds(500);
        for (const auto& [pid, job] : running) {
            fds.push_back({job.fd, POLLIN, 0});
            pids.push_back(pid);
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(job.start + options.timeout - now);
            wait = std::clamp(left + std::chrono::milliseconds(1), std::chrono::milliseconds(0), wait);
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
        if (ready < 0 && errno != EINTR) break;  // cannot happen with valid fds; never spin

        for (std::size_t i = 0; i < fds.size(); ++i) {
            Running& job = running.at(pids[i]);
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buffer[65536];
                const ssize_t n = ::read(job.fd, buffer, sizeof buffer);
                if (n > 0) {
                    if (job.output.size() + static_cast<std::size_t>(n) > kMaxOutputBytes) job.overflow = true;
                    else job.output.append(buffer, static_cast<std::size_t>(n));
                    continue;
                }
                if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                    reap(pids[i], false);
                    continue;
                }
            }
            if (Clock::now() >= job.start + options.timeout) reap(pids[i], true);
        }
    }

    for (std::size_t i = 0; i < results.size(); ++i) {
        auto& r = results[i];
        if (r.namePid && r.pid && *r.namePid != *r.pid)
            r.warnings.push_back(fmt::format("the file name says pid {} but the core's notes say pid {}", *r.namePid, *r.pid));
    }
    return results;
}

}  // namespace pyautopsy::batch
