#include "batch/TreeTerminator.h"

#include "target/ProcessList.h"

#include <fmt/format.h>

#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

constexpr int kKillRounds = 200;                      // 200 x 10 ms: a fork bomb outruns nothing forever
constexpr std::chrono::milliseconds kPollInterval{10};

std::vector<target::ProcessEntry> livingDescendants()
{
    std::vector<target::ProcessEntry> living;
    for (auto& entry : target::listProcessTree(::getpid(), false).processes)
        if (entry.state != "Z" && entry.state != "X") living.push_back(std::move(entry));
    return living;
}

void signalAll(const std::vector<target::ProcessEntry>& processes, int signal)
{
    for (const auto& p : processes) {
        ::kill(p.pid, signal);
        if (signal == SIGTERM) ::kill(p.pid, SIGCONT);   // a stopped process acts on SIGTERM only once continued
    }
}

}  // namespace

std::optional<int> reapChildren(int command)
{
    std::optional<int> commandStatus;
    for (int reaped = 0; reaped < 100000; ++reaped) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (pid == command) commandStatus = status;
    }
    return commandStatus;
}

bool anyDescendantRunning() { return !livingDescendants().empty(); }

Termination terminateDescendants(int command, std::chrono::milliseconds grace)
{
    Termination out;
    auto keep = [&](std::optional<int> status) {
        if (status) out.commandStatus = status;
    };
    auto living = livingDescendants();
    signalAll(living, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!living.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(kPollInterval);
        keep(reapChildren(command));
        living = livingDescendants();
    }
    for (int round = 0; round < kKillRounds && !living.empty(); ++round) {
        signalAll(living, SIGKILL);
        std::this_thread::sleep_for(kPollInterval);
        keep(reapChildren(command));
        living = livingDescendants();
    }
    keep(reapChildren(command));
    for (const auto& p : livingDescendants())
        out.leftovers.push_back(fmt::format("{} [{}] {}", p.pid, p.state, p.command));
    return out;
}

}  // namespace pyautopsy::batch
