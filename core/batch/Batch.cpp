#include "batch/Batch.h"

#include "batch/Grouping.h"
#include "batch/LogScanner.h"
#include "batch/ProcessTree.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sched.h>

namespace pyautopsy::batch {
namespace {

class TempDir {
public:
    TempDir()
    {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = fmt::format("{}/pyautopsy-batch-XXXXXX", base && *base ? base : "/tmp");
        if (::mkdtemp(pattern.data()) == nullptr)
            throw Error(ErrorKind::System, fmt::format("cannot create a temporary directory in {}: {}",
                                                       base && *base ? base : "/tmp", std::strerror(errno)));
        m_path = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

}  // namespace

int defaultJobs()
{
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return 1;
}

BatchResult runBatch(const BatchOptions& options)
{
    const auto start = std::chrono::steady_clock::now();
    BatchResult result;
    Discovery discovery = discoverCores(options.paths, options.discovery);
    result.skipped = std::move(discovery.skipped);
    for (auto& note : discovery.notes) result.skipped.push_back({"", std::move(note)});

    TempDir temp;
    AnalyzerOptions analyzer = options.analyzer;
    analyzer.tempDir = temp.path();
    result.jobs = std::max(1, analyzer.jobs);
    result.cores = analyseCores(discovery.candidates, analyzer);
    result.groups = groupCores(result.cores);
    result.tree = buildProcessTree(result.cores);

    for (const auto& logPath : options.logs) {
        std::ifstream log(logPath);
        if (!log) {
            result.skipped.push_back({logPath, "cannot read this log"});
            continue;
        }
        auto unmatched = attachLogDumps(result.cores, scanLog(log, logPath));
        result.unmatchedLogs.insert(result.unmatchedLogs.end(), unmatched.begin(), unmatched.end());
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace pyautopsy::batch
