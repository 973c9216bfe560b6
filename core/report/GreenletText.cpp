#include "report/GreenletText.h"

#include <fmt/format.h>

#include <algorithm>

namespace pyautopsy::report {
namespace {

std::string indented(const std::string& text, const std::string& indent)
{
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\n', at);
        end = end == std::string::npos ? text.size() : end + 1;
        out += indent + text.substr(at, end - at);
        at = end;
    }
    return out;
}

std::string formatGreenlet(const snapshot::Greenlet& g, const TextOptions& options)
{
    std::vector<std::string> facts{snapshot::greenletStateName(g.state)};
    if (g.main) facts.push_back("the thread's main greenlet");
    if (g.hub) facts.push_back("gevent hub");
    if (g.run) facts.push_back(fmt::format("runs {}", *g.run));
    if (g.parent) facts.push_back(fmt::format("parent {:#x}", *g.parent));
    if (g.waitsFor) facts.push_back(fmt::format("waits on {}", *g.waitsFor));
    std::string label = g.name ? fmt::format("{} \"{}\"", g.type, *g.name) : g.type;
    std::string out = fmt::format("  Greenlet {:#x} {} ({})\n", g.address, label, fmt::join(facts, ", "));
    if (g.state == snapshot::GreenletState::Running) {
        out += "    (its frames are the thread's frames above)\n";
    } else if (!g.frames.empty()) {
        std::vector<const snapshot::Frame*> order;
        for (const auto& frame : g.frames) order.push_back(&frame);
        if (options.mostRecentLast) std::reverse(order.begin(), order.end());
        out += indented(formatFrames(order, options), "  ");
    }
    for (const auto& note : g.notes) out += fmt::format("    note: {}\n", note);
    return out;
}

}  // namespace

std::string formatGreenlets(const std::vector<snapshot::Greenlet>& greenlets, const TextOptions& options)
{
    if (greenlets.empty()) return {};
    std::string out = fmt::format("  Greenlets ({}):\n", greenlets.size());
    for (const auto& g : greenlets) out += indented(formatGreenlet(g, options), "  ");
    return out;
}

std::string formatGreenletsWithoutThread(const snapshot::Snapshot& s, const TextOptions& options)
{
    const auto& facts = s.greenlet;
    if (facts.withoutThread.empty() && facts.notes.empty()) return {};
    std::string out = fmt::format("greenlet {}\n", facts.version.value_or("(version unknown)"));
    for (const auto& note : facts.notes) out += fmt::format("  note: {}\n", note);
    if (!facts.withoutThread.empty()) {
        out += "Greenlets of no thread found:\n";
        for (const auto& g : facts.withoutThread) out += formatGreenlet(g, options);
    }
    return out;
}

std::string formatGreenletReport(const snapshot::Snapshot& s, const TextOptions& options)
{
    std::string out;
    for (const auto& thread : s.threads) {
        if (thread.greenlets.empty()) continue;
        out += formatThreadHeader(thread, options);
        out += formatGreenlets(thread.greenlets, options);
    }
    if (std::string orphans = formatGreenletsWithoutThread(s, options); !orphans.empty())
        out += (out.empty() ? "" : "\n") + orphans;
    return out;
}

}  // namespace pyautopsy::report
