#include "report/AsyncioText.h"

#include <fmt/format.h>

#include <map>
#include <string>
#include <set>

namespace pyautopsy::report {
namespace {

constexpr std::size_t kMaxTreeDepth = 64;

std::string threadLabel(const snapshot::Snapshot& s, const snapshot::EventLoop& loop)
{
    if (!loop.threadId) return "a thread not found";
    for (const auto& t : s.threads) {
        if (t.threadId != loop.threadId) continue;
        return t.name ? fmt::format("Thread {:#x} \"{}\"", *loop.threadId, *t.name)
                      : fmt::format("Thread {:#x}", *loop.threadId);
    }
    return fmt::format("Thread {:#x}", *loop.threadId);
}

class LoopPrinter {
public:
    LoopPrinter(const snapshot::EventLoop& loop, const TextOptions& options) : m_loop(loop), m_options(options)
    {
        for (const auto& task : loop.tasks) m_byAddress[task.address] = &task;
        for (const auto& task : loop.tasks)
            for (std::uint64_t awaited : task.awaits) m_awaited.insert(awaited);
    }

    std::string print()
    {
        // Roots: tasks no other task of the loop awaits; then whatever a cycle left out.
        for (const auto& task : m_loop.tasks)
            if (!m_awaited.count(task.address)) printTask(task, 1);
        for (const auto& task : m_loop.tasks)
            if (!m_printed.count(task.address)) printTask(task, 1);
        return std::move(m_out);
    }

private:
    void printTask(const snapshot::AsyncTask& task, std::size_t depth)
    {
        const std::string indent(2 * depth, ' ');
        if (!m_printed.insert(task.address).second || depth > kMaxTreeDepth) {
            m_out += fmt::format("{}Task \"{}\" (shown above)\n", indent, task.name);
            return;
        }
        std::vector<std::string> facts{task.running ? std::string("running") : task.state};
        if (!task.awaits.empty()) {
            std::vector<std::string> names;
            for (std::uint64_t awaited : task.awaits) {
                auto it = m_byAddress.find(awaited);
                names.push_back(it != m_byAddress.end() ? fmt::format("\"{}\"", it->second->name)
                                                        : fmt::format("{:#x}", awaited));
            }
            facts.push_back(fmt::format("awaits {}", fmt::join(names, ", ")));
        } else if (task.waitsFor) {
            facts.push_back(fmt::format("waits for a {}", *task.waitsFor));
        }
        m_out += fmt::format("{}Task \"{}\" ({})\n", indent, task.name, fmt::join(facts, ", "));
        auto frameLine = [&](const snapshot::Frame& f) {
            // Every line of it (source and locals under the frame line) under the task.
            const std::string text = formatFrame(f, m_options);
            for (std::size_t at = 0; at < text.size();) {
                std::size_t end = text.find('\n', at);
                end = end == std::string::npos ? text.size() : end + 1;
                m_out += indent + "  " + text.substr(at, end - at);
                at = end;
            }
        };
        if (m_options.mostRecentLast) {
            for (auto it = task.coroutineStack.rbegin(); it != task.coroutineStack.rend(); ++it) frameLine(*it);
        } else {
            for (const auto& f : task.coroutineStack) frameLine(f);
        }
        if (task.running) m_out += fmt::format("{}    (its frames are on the thread's stack)\n", indent);
        for (std::uint64_t awaited : task.awaits) {
            auto it = m_byAddress.find(awaited);
            if (it != m_byAddress.end()) printTask(*it->second, depth + 1);
        }
    }

    const snapshot::EventLoop& m_loop;
    const TextOptions& m_options;
    std::map<std::uint64_t, const snapshot::AsyncTask*> m_byAddress;
    std::set<std::uint64_t> m_awaited;
    std::set<std::uint64_t> m_printed;
    std::string m_out;
};

}  // namespace

std::string formatAsyncio(const snapshot::Snapshot& s, const TextOptions& options)
{
    std::string out;
    for (const auto& loop : s.asyncio.loops) {
        out += fmt::format("asyncio event loop {:#x} ({}) run by {}: {} task{}\n", loop.address,
                           loop.type.empty() ? "?" : loop.type, threadLabel(s, loop), loop.tasks.size(),
                           loop.tasks.size() == 1 ? "" : "s");
        out += LoopPrinter(loop, options).print();
    }
    for (const auto& note : s.asyncio.notes) out += fmt::format("asyncio note: {}\n", note);
    return out;
}

}  // namespace pyautopsy::report
