#include "batch/LogScanner.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

namespace pyautopsy::batch {
namespace {

constexpr std::string_view kFatal = "Fatal Python error: ";
constexpr std::string_view kCurrent = "Current thread 0x";
constexpr std::string_view kThread = "Thread 0x";

std::optional<std::uint64_t> parseHex(std::string_view digits)
{
    std::uint64_t value = 0;
    const char* end = digits.data() + digits.size();
    auto [stop, ec] = std::from_chars(digits.data(), end, value, 16);
    if (ec != std::errc() || stop == digits.data()) return std::nullopt;
    return value;
}

struct ThreadHeader {
    std::size_t column = 0;
    std::uint64_t ident = 0;
    bool current = false;
};

// `Current thread 0x...` or `Thread 0x...` followed by " (most recent call first)"
// or ":" (faulthandler's two spellings).
std::optional<ThreadHeader> threadHeader(std::string_view line)
{
    for (bool current : {true, false}) {
        const std::string_view marker = current ? kCurrent : kThread;
        const auto at = line.find(marker);
        if (at == std::string_view::npos) continue;
        auto ident = parseHex(line.substr(at + marker.size()));
        if (!ident) continue;
        return ThreadHeader{at, *ident, current};
    }
    return std::nullopt;
}

std::string_view stripPrefix(std::string_view line, std::size_t prefix)
{
    return line.size() >= prefix ? line.substr(prefix) : std::string_view();
}

// A line that continues a dump once the prefix is stripped: frames are
// indented; faulthandler also prints these headers between sections.
bool continuesDump(std::string_view body)
{
    return body.empty() || body.front() == ' ' || body.front() == '\t' || body.starts_with("Python runtime state:") ||
           body.starts_with("Extension modules:") || body.starts_with("Stack (most recent call first):") ||
           body.starts_with("Thread 0x") || body.starts_with("Current thread 0x");
}

}  // namespace

std::vector<LogDump> scanLog(std::istream& log, const std::string& logPath)
{
    std::vector<LogDump> dumps;
    std::optional<LogDump> open;
    std::size_t prefix = 0, lines = 0, blanks = 0;
    auto close = [&] {
        if (open) {
            while (!open->text.empty() && open->text.back() == '\n' && open->text.size() >= 2 &&
                   open->text[open->text.size() - 2] == '\n')
                open->text.pop_back();
            dumps.push_back(std::move(*open));
        }
        open.reset();
    };
    auto append = [&](std::string_view body) {
        if (++lines <= kMaxDumpLines) {
            open->text.append(body);
            open->text.push_back('\n');
        }
    };

    std::string raw;
    std::size_t number = 0;
    while (std::getline(log, raw)) {
        ++number;
        std::string_view line = raw;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        if (const auto fatal = line.find(kFatal); fatal != std::string_view::npos) {
            close();
            open = LogDump{logPath, number, std::string(line.substr(fatal)), std::nullopt, {}, {}};
            prefix = fatal;
            lines = blanks = 0;
            append(line.substr(fatal));
            continue;
        }
        if (const auto header = threadHeader(line)) {
            // A thread header opens a dump unless it continues one at the same column.
            if (!open || header->column != prefix) {
                close();
                open = LogDump{logPath, number, std::nullopt, std::nullopt, {}, {}};
                prefix = header->column;
                lines = blanks = 0;
            }
            if (header->current) {
                if (!open->currentThread) open->currentThread = header->ident;
                open->threads.insert(open->threads.begin(), header->ident);
            } else {
                open->threads.push_back(header->ident);
            }
            blanks = 0;
            append(line.substr(header->column));
            continue;
        }
        if (!open) continue;
        const std::string_view body = stripPrefix(line, prefix);
        const bool blank = body.find_first_not_of(" \t") == std::string_view::npos;
        if (blank ? ++blanks > 1 : !continuesDump(body)) {
            close();
            continue;
        }
        if (!blank) blanks = 0;
        append(blank ? std::string_view() : body);
    }
    close();
    return dumps;
}

std::vector<LogDump> attachLogDumps(std::vector<CoreResult>& cores, const std::vector<LogDump>& dumps)
{
    std::vector<LogDump> unmatched;
    for (const auto& dump : dumps) {
        std::vector<std::uint64_t> wanted;
        if (dump.currentThread) wanted.push_back(*dump.currentThread);
        else wanted = dump.threads;
        bool claimed = false;
        for (auto& core : cores) {
            const auto threads = core.report.is_object() ? core.report.find("threads") : core.report.end();
            if (core.report.is_null() || threads == core.report.end() || !threads->is_array()) continue;
            const bool match = std::any_of(threads->begin(), threads->end(), [&](const nlohmann::json& thread) {
                const auto id = thread.find("thread_id");
                return id != thread.end() && id->is_number_integer() &&
                       std::find(wanted.begin(), wanted.end(), id->get<std::uint64_t>()) != wanted.end();
            });
            if (match) {
                core.logs.push_back(dump);
                claimed = true;
            }
        }
        if (!claimed) unmatched.push_back(dump);
    }
    return unmatched;
}

}  // namespace pyautopsy::batch
