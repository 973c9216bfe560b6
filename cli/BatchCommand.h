// BatchCommand: `pyautopsy batch` and `pyautopsy run`, the CI front end.
//
// Thin: options in, core/batch does the work, core/report formats it.
// Exit status of `batch`: 1 when crash cores were found (analysed or not: a
// core file means a process crashed or was dumped), 0 otherwise or with
// --exit-zero; 2 on a usage error. `run` preserves the command's status; see
// runRunCommand for the rule when the command itself succeeded but cores
// appeared, and for a hang (124, as timeout(1)).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace pyautopsy::cli {

struct BatchOutputs {
    int jobs = 0;                    // 0: the number of CPUs
    double timeoutSeconds = 60;
    std::string json, markdown, junit;
    std::vector<std::string> logs;
    bool exitZero = false;
};

struct BatchArguments {
    std::vector<std::string> paths;
    BatchOutputs outputs;
};

struct RunArguments {
    std::string coresDir = "cores";
    double hangTimeoutSeconds = 0;   // 0: no hang timeout
    std::vector<std::string> command;
    BatchOutputs outputs;
};

CLI::App* addBatchCommand(CLI::App& app, BatchArguments& arguments);
CLI::App* addRunCommand(CLI::App& app, RunArguments& arguments);

int runBatchCommand(const BatchArguments& arguments);
int runRunCommand(const RunArguments& arguments);

}  // namespace pyautopsy::cli
