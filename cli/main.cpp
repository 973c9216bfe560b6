// pyautopsy: the command-line front end.
//
// Thin by design: parse arguments, open a Target, ask the engine for a
// Snapshot, print it. Exit codes: 0 ok, 1 bad input or system error,
// 2 usage, 3 no (supported) CPython runtime in the target. The manual page
// (cli/pyautopsy.1) and the completion scripts (cli/completion/) list every
// subcommand and option: keep them in step (tests/install checks the man page).
#include "BatchCommand.h"
#include "HugePageHeap.h"
#include "batch/TreeCapture.h"
#include "batch/formats/TreeReport.h"
#include "cli/Version.h"
#include "engine/Engine.h"
#include "report/JsonReport.h"
#include "report/JsonValue.h"
#include "report/TextReport.h"
#include "runtime/discovery/SupportedVersions.h"
#include "support/Error.h"
#include "target/CoreFileTarget.h"
#include "target/DebuginfodFetcher.h"
#include "target/ElfFile.h"
#include "target/LiveProcessTarget.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

namespace {

using namespace pyautopsy;

// An error is one line on stderr: control bytes in target-supplied text (a
// corrupt core's module paths end up in messages) are shown escaped.
std::string oneLine(std::string_view text)
{
    std::string out;
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out += static_cast<char>(c);
    }
    return out;
}

struct OutputOptions {
    bool json = false;
    bool stats = false;  // --stats, on stderr: core: where the CPU went; pid: how long the target was stopped
    bool noSource = false;  // --no-source: no source line under each Python frame
    std::chrono::nanoseconds cpuAtMain{0};   // for core --stats: exec, loading, static constructors
};

// The process's CPU time so far, as wait4() will report it at the end.
std::chrono::nanoseconds processCpu()
{
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

long pageFaults()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

void addOutputFlags(CLI::App* command, OutputOptions& output)
{
    command->add_flag("--json", output.json, "print JSON (docs/json-schema.md)");
    command->add_flag("--no-source", output.noSource,
                      "do not print the source line under each Python frame (read from this machine's files)");
}

void addAnalysisFlags(CLI::App* command, engine::AnalysisOptions& analysis)
{
    command->add_flag("--locals", analysis.snapshot.locals, "show each Python frame's locals and arguments");
    command->add_flag("--native", analysis.snapshot.native, "interleave native frames with the Python frames");
}

bool useColor()
{
    const char* noColor = std::getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && (noColor == nullptr || noColor[0] == '\0');
}

void print(const engine::Report& report, const OutputOptions& output)
{
    if (output.json) {
        std::cout << report::jsonText(report::toJson(report.snapshot, report.diagnosis)) << "\n";
    } else {
        report::TextOptions text;
        text.color = useColor();
        text.source = !output.noSource;
        // In pieces: a --native report before 3.11 is ~250 KiB, never held whole.
        report::writeSnapshot(report.snapshot, report.diagnosis, text, [](std::string_view piece) {
            std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        });
    }
}

int runCore(const std::string& corePath, const target::CoreOptions& coreOptions, const engine::AnalysisOptions& analysis,
            const OutputOptions& output)
{
    auto core = target::CoreFileTarget::open(corePath, coreOptions);
    engine::Report report;
    try {
        report = engine::analyzeAndDiagnose(*core, analysis);
    } catch (const Error& error) {
        // A debuginfod server that could not be reached is the likely cause
        // of files missing: say it first, on the error's one line.
        if (auto failure = core->fetchFailure()) throw Error(error.kind(), fmt::format("{}; {}", *failure, error.what()));
        throw;
    }
    report.snapshot.target.corePath = corePath;
    for (const auto& warning : core->warnings()) report.snapshot.warnings.push_back(warning);
    const auto cpuAnalysed = processCpu();
    print(report, output);
    if (output.stats) {
        // stderr, so the report on stdout stays byte-identical; bench/run reads this line.
        using Ms = std::chrono::duration<double, std::milli>;
        std::cout.flush();
        std::cerr << fmt::format("pyautopsy: stats: cpu {:.3f} ms starting, {:.3f} ms reading the core, {:.3f} ms "
                                 "writing the report; {} blocks of {} KiB read from the core, {} page faults\n",
                                 Ms(output.cpuAtMain).count(), Ms(cpuAnalysed - output.cpuAtMain).count(),
                                 Ms(processCpu() - cpuAnalysed).count(), core->blocksRead(),
                                 target::ElfFile::kBlock / 1024, pageFaults());
    }
    if (core->truncated()) {
        std::cerr << "pyautopsy: " << corePath << ": the core file is truncated; the report above is partial\n";
        return 1;
    }
    return 0;
}

int runPid(int pid, const target::LiveOptions& liveOptions, const engine::AnalysisOptions& analysis,
           const OutputOptions& output)
{
    engine::Report report;
    {
        // The process is stopped only for the lifetime of `process`: release it
        // before printing, which may block on a slow terminal.
        auto process = target::LiveProcessTarget::attach(pid, liveOptions);
        engine::AnalysisOptions live = analysis;
        live.keepStopShort = true;
        report = engine::analyzeAndDiagnose(*process, live);
        process->resume();
        for (const auto& warning : process->warnings()) report.snapshot.warnings.push_back(warning);
        if (output.stats) {
            // stderr, so the report on stdout stays byte-identical; bench/run reads this line.
            using Ms = std::chrono::duration<double, std::milli>;
            const auto stopped = process->stoppedFor();
            const auto cpu = process->cpuWhileStopped().value_or(std::chrono::nanoseconds(0));
            std::cerr << (stopped ? fmt::format("pyautopsy: stats: target stopped {:.3f} ms ({} threads), "
                                                "pyautopsy cpu meanwhile {:.3f} ms; {} stop{}, the longest {:.3f} ms\n",
                                                Ms(*stopped).count(), process->threads().size(), Ms(cpu).count(),
                                                process->stops(), process->stops() == 1 ? "" : "s",
                                                Ms(process->longestStop()).count())
                                  : std::string("pyautopsy: stats: target not stopped\n"));
        }
    }
    print(report, output);
    return 0;
}

// `pid PID --tree`: the process and its descendants, each stopped only for
// its own snapshot. Exit 3 only when no process of the tree runs CPython.
int runTree(int pid, const target::LiveOptions& live, const engine::AnalysisOptions& analysis,
            const OutputOptions& output)
{
    batch::TreeCaptureOptions options;
    options.live = live;
    options.analysis = analysis;
    options.text.color = useColor();
    options.text.source = !output.noSource;
    const batch::TreeResult tree = batch::captureTree(pid, options);
    if (output.json) std::cout << report::jsonText(batch::treeToJson(tree)) << "\n";
    else std::cout << batch::formatTreeText(tree);
    if (output.stats) {
        for (const auto& p : tree.processes)
            if (p.stoppedMs)
                std::cerr << fmt::format("pyautopsy: stats: process {} stopped {:.3f} ms\n", p.pid, *p.stoppedMs);
        std::cerr << fmt::format("pyautopsy: stats: tree of {} processes read in {:.3f} ms\n", tree.processes.size(),
                                 tree.seconds * 1000);
    }
    if (tree.count(batch::LiveStatus::Analysed) == 0 && tree.count(batch::LiveStatus::NotPython) > 0) {
        std::cerr << "pyautopsy: no process of the tree of " << pid << " runs a supported CPython\n";
        return 3;
    }
    return 0;
}

// The heap moves onto its huge page before any static constructor runs
// (priority 101 is the first a program may use): what libstdc++'s locale and
// iostreams allocate lands there too, instead of on ~50 small pages that
// malloc would keep handing out after the move.
__attribute__((constructor(101))) void backHeapBeforeStaticConstructors() { cli::backHeapWithHugePages(); }

}  // namespace

int main(int argc, char** argv)
{
    const auto cpuAtMain = processCpu();
    CLI::App app{"pyautopsy: why did this Python process crash or hang?"};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         fmt::format("pyautopsy {}\nreads CPython {}, release and debug builds, without debug symbols",
                                     cli::kVersion, runtime::supportedRange()),
                         "print pyautopsy's version and the CPython versions it reads, and exit");
    OutputOptions output;
    output.cpuAtMain = cpuAtMain;
    engine::AnalysisOptions analysis;

    auto* core = app.add_subcommand("core", "Analyse a core file");
    std::string corePath;
    target::CoreOptions coreOptions;
    core->add_option("CORE", corePath, "core file")->required();
    core->add_option("--exe", coreOptions.executable, "the executable that dumped the core, if not where it was");
    core->add_option("--sysroot", coreOptions.sysroot, "look up the core's mapped files under this directory");
    addOutputFlags(core, output);
    core->add_flag("--stats", output.stats,
                   "print on stderr the CPU time spent starting, reading the core and writing the report");
    addAnalysisFlags(core, analysis);

    auto* pid = app.add_subcommand("pid", "Analyse a running process (read-only)");
    int pidNumber = 0;
    bool nonblocking = false;
    bool tree = false;
    pid->add_option("PID", pidNumber, "process id")->required();
    pid->add_flag("--nonblocking", nonblocking, "read without stopping the process (the snapshot may be torn)");
    addOutputFlags(pid, output);
    pid->add_flag("--stats", output.stats, "print on stderr how long the process was held stopped");
    pid->add_flag("--tree", tree, "also every descendant process, each stopped only for its own snapshot");
    unsigned maxStopMs = 1000;
    pid->add_option("--max-stop-ms", maxStopMs,
                    "hold the process stopped at most this long (then read it running, and say so); default 1000")
        ->check(CLI::Range(1u, 600000u));
    addAnalysisFlags(pid, analysis);

    cli::BatchArguments batchArguments;
    auto* batchCommand = cli::addBatchCommand(app, batchArguments);
    cli::RunArguments runArguments;
    auto* runCommand = cli::addRunCommand(app, runArguments);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "pyautopsy: " << e.what() << " (see pyautopsy --help)\n";
        return 2;
    }

    try {
        if (*core) {
            coreOptions.fetcher = target::DebuginfodFetcher::fromEnvironment();  // nullptr without DEBUGINFOD_URLS
            return runCore(corePath, coreOptions, analysis, output);
        }
        if (*batchCommand) return cli::runBatchCommand(batchArguments);
        if (*runCommand) return cli::runRunCommand(runArguments);
        target::LiveOptions liveOptions;
        liveOptions.stopThreads = !nonblocking;
        liveOptions.maxStop = std::chrono::milliseconds(maxStopMs);
        if (tree && nonblocking) throw Error(ErrorKind::Usage, "pid: --tree stops each process; it cannot be --nonblocking");
        if (tree) return runTree(pidNumber, liveOptions, analysis, output);
        return runPid(pidNumber, liveOptions, analysis, output);
    } catch (const Error& e) {
        std::cerr << "pyautopsy: " << oneLine(e.what()) << "\n";
        return e.exitCode();
    } catch (const std::exception& e) {
        std::cerr << "pyautopsy: internal error: " << oneLine(e.what()) << "\n";
        return 1;
    }
}
