#include "BatchCommand.h"

#include "batch/Batch.h"
#include "batch/CommandRunner.h"
#include "batch/formats/BatchJsonReport.h"
#include "batch/formats/BatchText.h"
#include "batch/formats/JUnitReport.h"
#include "batch/formats/MarkdownReport.h"
#include "report/JsonValue.h"
#include "support/Error.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

namespace pyautopsy::cli {
namespace {

// CLI11's PositiveNumber names the whole range of a double in its message; one line a user can read instead.
CLI::Validator positiveSeconds()
{
    return CLI::Validator(
        [](std::string& text) {
            char* end = nullptr;
            const double seconds = std::strtod(text.c_str(), &end);
            return end != text.c_str() && *end == '\0' && seconds > 0 && seconds < 1e9
                       ? std::string()
                       : "'" + text + "' is not a number of seconds greater than 0";
        },
        "SECONDS");
}

void addOutputOptions(CLI::App* command, BatchOutputs& outputs)
{
    command->add_option("-j,--jobs", outputs.jobs, "analyse N cores at a time (default: the number of CPUs)")
        ->check(CLI::Range(1, 1024));
    command->add_option("--timeout", outputs.timeoutSeconds, "give up on a core after SECONDS (default 60)")
        ->check(positiveSeconds());
    command->add_option("--json", outputs.json, "write every report, the groups and the process tree as JSON to FILE");
    command->add_option("--markdown", outputs.markdown, "write a Markdown summary (a CI job summary) to FILE");
    command->add_option("--junit", outputs.junit, "write JUnit XML (one failing test case per crash group) to FILE");
    command->add_option("--log", outputs.logs, "attach Fatal Python error / faulthandler dumps from this CI log");
    command->add_flag("--exit-zero", outputs.exitZero, "exit 0 even when crashes were found");
}

void writeFile(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(ErrorKind::System, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

// A one-line bar redrawn in place; only on a terminal, so CI logs stay clean.
void drawProgress(std::size_t done, std::size_t total)
{
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total ? done * kWidth / total : kWidth;
    std::cerr << fmt::format("\r[{}{}] {}/{} cores", std::string(filled, '#'), std::string(kWidth - filled, '.'), done,
                             total)
              << (done == total ? "\r\033[K" : "") << std::flush;
}

batch::BatchResult analyse(const std::vector<std::string>& paths, const BatchOutputs& outputs)
{
    batch::BatchOptions options;
    options.paths = paths;
    options.logs = outputs.logs;
    options.analyzer.jobs = outputs.jobs > 0 ? outputs.jobs : batch::defaultJobs();
    options.analyzer.timeout = std::chrono::milliseconds(static_cast<long long>(outputs.timeoutSeconds * 1000));
    if (isatty(STDERR_FILENO)) options.analyzer.progress = drawProgress;
    return batch::runBatch(options);
}

void report(const batch::BatchResult& result, const BatchOutputs& outputs)
{
    if (!outputs.json.empty()) writeFile(outputs.json, report::jsonText(batch::batchToJson(result)) + "\n");
    if (!outputs.markdown.empty()) writeFile(outputs.markdown, batch::formatBatchMarkdown(result));
    if (!outputs.junit.empty()) writeFile(outputs.junit, batch::formatBatchJUnit(result));
    std::cout << batch::formatBatchText(result) << std::flush;
}

int signalNumber(const std::string& name) { return name == "SIGINT" ? SIGINT : SIGTERM; }

}  // namespace

CLI::App* addBatchCommand(CLI::App& app, BatchArguments& arguments)
{
    auto* command = app.add_subcommand("batch", "Analyse every core file under PATHs, grouped by crash (for CI)");
    command->add_option("PATH", arguments.paths, "core files (plain, .zst, .lz4, .xz, .gz) or directories to search")
        ->required();
    addOutputOptions(command, arguments.outputs);
    return command;
}

CLI::App* addRunCommand(CLI::App& app, RunArguments& arguments)
{
    auto* command = app.add_subcommand("run", "Run a command with core dumps enabled, collect its cores, report them");
    command->add_option("--cores", arguments.coresDir, "collect cores into DIR (default ./cores)");
    command->add_option("--hang-timeout", arguments.hangTimeoutSeconds,
                        "after SECONDS (or on SIGTERM/SIGINT) snapshot every CPython process of the command's "
                        "tree, end the tree, report the hang, exit 124")
        ->check(positiveSeconds());
    command->add_option("CMD", arguments.command, "the command, after --")->required();
    addOutputOptions(command, arguments.outputs);
    return command;
}

int runBatchCommand(const BatchArguments& arguments)
{
    const batch::BatchResult result = analyse(arguments.paths, arguments.outputs);
    report(result, arguments.outputs);
    return result.crashesFound() && !arguments.outputs.exitZero ? 1 : 0;
}

// Exit status of `run`: 124 when the hang timeout fired (timeout(1)'s
// convention), 128+N when pyautopsy itself was stopped by signal N (SIGTERM,
// SIGINT) and ended the tree; else the command's own status when it failed
// (so a failing test suite still fails the same way, and 128+N when it was
// killed by signal N); when it succeeded but cores were collected (a worker
// crashed, the suite did not notice), 1 unless --exit-zero; 0 otherwise.
int runRunCommand(const RunArguments& arguments)
{
    batch::RunOptions options;
    options.command = arguments.command;
    options.coresDir = arguments.coresDir;
    if (arguments.hangTimeoutSeconds > 0)
        options.hangTimeout = std::chrono::milliseconds(static_cast<long long>(arguments.hangTimeoutSeconds * 1000));
    const batch::RunOutcome outcome = batch::runCollectingCores(options);
    for (const auto& note : outcome.notes) std::cerr << "pyautopsy: run: " << note << "\n";
    const int status = batch::shellExitStatus(outcome.waitStatus);

    // Only this run's cores: DIR may still hold earlier runs' cores.
    batch::BatchResult result = analyse(outcome.collected, arguments.outputs);
    result.hang = outcome.hang;
    std::cout << fmt::format("pyautopsy run: {} {}; {} core{} collected into {}\n",
                             outcome.hang ? "the tree was ended after the hang; the command's status was"
                                          : "the command exited with status",
                             status, outcome.collected.size(), outcome.collected.size() == 1 ? "" : "s",
                             arguments.coresDir);
    report(result, arguments.outputs);
    if (outcome.hang) return outcome.hang->trigger == "timeout" ? 124 : 128 + signalNumber(outcome.hang->trigger);
    if (status != 0) return status;
    return result.crashesFound() && !arguments.outputs.exitZero ? 1 : 0;
}

}  // namespace pyautopsy::cli
