#include "report/SourceLines.h"

#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace pyautopsy::report {
namespace {

constexpr std::size_t kMaxCachedFiles = 256;

// One decoded file: the UTF-8 text in one string and where each line starts.
// A traceback prints one line of each frame: splitting a file into a string
// per line cost more than walking the whole stack (bench/README.md).
struct DecodedText {
    std::string text;
    std::vector<std::size_t> lineStarts;   // lineStarts[i]: offset of line i + 1

    std::size_t lineCount() const { return lineStarts.size(); }
    // Line `index` (0-based) without its line end.
    std::string_view line(std::size_t index) const
    {
        const std::size_t start = lineStarts[index];
        std::size_t end = index + 1 < lineStarts.size() ? lineStarts[index + 1] - 1 : text.size();
        if (end > start && text[end - 1] == '\r') --end;
        return std::string_view(text).substr(start, end - start);
    }
};

struct Decoded {
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::shared_ptr<const DecodedText> text;
};

std::mutex g_cacheLock;
std::map<std::string, Decoded> g_cache;

std::string lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The coding declaration of one comment line, as PEP 263's regular
// expression `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` finds it.
std::optional<std::string> codingOf(std::string_view line)
{
    std::size_t i = line.find_first_not_of(" \t\f");
    if (i == std::string_view::npos || line[i] != '#') return std::nullopt;
    for (std::size_t at = line.find("coding", i); at != std::string_view::npos; at = line.find("coding", at + 1)) {
        std::size_t p = at + 6;
        if (p >= line.size() || (line[p] != ':' && line[p] != '=')) continue;
        ++p;
        while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
        std::size_t end = p;
        while (end < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '-' || line[end] == '_' ||
                line[end] == '.'))
            ++end;
        if (end > p) return std::string(line.substr(p, end - p));
    }
    return std::nullopt;
}

bool isBlankOrComment(std::string_view line)
{
    std::size_t i = line.find_first_not_of(" \t\f\r");
    return i == std::string_view::npos || line[i] == '#';
}

// The length of the UTF-8 sequence at in[i], or 0 when it is not a valid one.
std::size_t utf8SequenceAt(std::string_view in, std::size_t i)
{
    const auto c = static_cast<unsigned char>(in[i]);
    const std::size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > in.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((static_cast<unsigned char>(in[i + k]) & 0xC0) != 0x80) return 0;
    }
    return length;
}

// Offset of the first byte that is not part of valid UTF-8, or in.size().
std::size_t firstInvalidUtf8(std::string_view in)
{
    std::size_t i = 0;
    while (i < in.size()) {
        // Source is mostly ASCII: skip it eight bytes at a time.
        while (i + 8 <= in.size()) {
            std::uint64_t word;
            std::memcpy(&word, in.data() + i, sizeof word);
            if ((word & 0x8080808080808080ull) != 0) break;
            i += 8;
        }
        if (i >= in.size()) break;
        const std::size_t length = utf8SequenceAt(in, i);
        if (length == 0) return i;
        i += length;
    }
    return in.size();
}

// Replaces every byte that is not part of valid UTF-8 with U+FFFD, as a
// decoder with errors="replace" would. Valid text (nearly all source) is
// returned as it is, without a copy.
std::string validUtf8(std::string in)
{
    std::size_t bad = firstInvalidUtf8(in);
    if (bad == in.size()) return in;
    std::string out(in, 0, bad);
    out.reserve(in.size() + 16);
    for (std::size_t i = bad; i < in.size();) {
        const std::size_t length = utf8SequenceAt(in, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        out.append(in, i, length);
        i += length;
    }
    return out;
}

// `bytes` from `encoding` to UTF-8 with iconv; nullopt if iconv does not know it.
std::optional<std::string> toUtf8(const std::string& bytes, const std::string& encoding)
{
    iconv_t converter = iconv_open("UTF-8", encoding.c_str());
    if (converter == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    std::string out;
    std::vector<char> buffer(64 * 1024);
    char* in = const_cast<char*>(bytes.data());
    std::size_t inLeft = bytes.size();
    while (inLeft > 0) {
        char* dst = buffer.data();
        std::size_t dstLeft = buffer.size();
        const std::size_t result = iconv(converter, &in, &inLeft, &dst, &dstLeft);
        out.append(buffer.data(), buffer.size() - dstLeft);
        if (result == static_cast<std::size_t>(-1) && errno != E2BIG) {
            out += "\xEF\xBF\xBD";   // an invalid or incomplete sequence: replace one byte, go on
            ++in;
            --inLeft;
        }
    }
    iconv_close(converter);
    return out;
}

// Lines end at '\n' (a '\r' before it is dropped when the line is read); text
// after the last '\n' is one more line, an empty tail is none.
std::vector<std::size_t> lineStarts(std::string_view text)
{
    std::vector<std::size_t> starts;
    for (std::size_t start = 0; start < text.size();) {
        starts.push_back(start);
        const void* end = std::memchr(text.data() + start, '\n', text.size() - start);
        if (end == nullptr) break;
        start = static_cast<std::size_t>(static_cast<const char*>(end) - text.data()) + 1;
    }
    return starts;
}

DecodedText decode(std::string bytes)
{
    const bool bom = bytes.starts_with("\xEF\xBB\xBF");
    if (bom) bytes.erase(0, 3);
    const std::string encoding = bom ? "utf-8" : declaredEncoding(std::string_view(bytes).substr(0, 1024));
    std::optional<std::string> text;
    if (encoding != "utf-8") text = toUtf8(bytes, encoding);
    DecodedText decoded;
    decoded.text = text ? std::move(*text) : validUtf8(std::move(bytes));
    decoded.lineStarts = lineStarts(decoded.text);
    return decoded;
}

std::string strip(std::string_view line)
{
    const std::size_t first = line.find_first_not_of(" \t\f\v\r\n");
    if (first == std::string_view::npos) return {};
    const std::size_t last = line.find_last_not_of(" \t\f\v\r\n");
    return std::string(line.substr(first, last - first + 1));
}

std::optional<std::int64_t> processStartTime(int pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces and parentheses).
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long long ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 22) {   // starttime, in clock ticks after boot
            ticks = std::stoull(field);
            break;
        }
    }
    if (ticks == 0) return std::nullopt;
    std::ifstream procStat("/proc/stat");
    std::string key;
    long long bootTime = 0;
    while (procStat >> key) {
        if (key == "btime") {
            procStat >> bootTime;
            break;
        }
    }
    const long hertz = sysconf(_SC_CLK_TCK);
    if (bootTime == 0 || hertz <= 0) return std::nullopt;
    // Both btime and the tick count are rounded down: round the sum up, so
    // that a file written just before the process started is not flagged.
    return bootTime + static_cast<std::int64_t>(ticks / static_cast<unsigned long long>(hertz)) + 1;
}

}  // namespace

std::string declaredEncoding(std::string_view head)
{
    const std::size_t firstEnd = head.find('\n');
    const std::string_view first = head.substr(0, firstEnd);
    std::optional<std::string> name = codingOf(first);
    if (!name && isBlankOrComment(first) && firstEnd != std::string_view::npos) {
        const std::string_view rest = head.substr(firstEnd + 1);
        name = codingOf(rest.substr(0, rest.find('\n')));
    }
    if (!name) return "utf-8";
    // Python's own normalisation of the two families it special-cases.
    std::string n = lower(*name);
    std::replace(n.begin(), n.end(), '_', '-');
    if (n == "utf-8" || n.starts_with("utf-8-")) return "utf-8";
    if (n == "latin-1" || n == "iso-8859-1" || n == "iso-latin-1" || n.starts_with("latin-1-") ||
        n.starts_with("iso-8859-1-") || n.starts_with("iso-latin-1-"))
        return "iso-8859-1";
    return n;
}

std::optional<std::int64_t> sourceReferenceTime(const snapshot::TargetFacts& target)
{
    if (!target.corePath.empty()) {
        struct stat st {};
        if (::stat(target.corePath.c_str(), &st) != 0) return std::nullopt;
        return static_cast<std::int64_t>(st.st_mtim.tv_sec);
    }
    if (target.kind == "core" || !target.pid) return std::nullopt;
    try {
        return processStartTime(*target.pid);
    } catch (const std::exception&) {   // a malformed /proc line: no reference, nothing flagged
        return std::nullopt;
    }
}

namespace {

// The decoded file at `path` (stat()ed as `st`), read on first use and then
// kept while its size and mtime stay the same; nullptr when unreadable.
std::shared_ptr<const DecodedText> cachedText(const std::string& path, const struct stat& st)
{
    const std::int64_t mtimeNs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    std::lock_guard lock(g_cacheLock);
    auto it = g_cache.find(path);
    if (it != g_cache.end() && it->second.size == st.st_size && it->second.mtimeNs == mtimeNs) return it->second.text;
    std::ifstream in(path, std::ios::binary);
    if (!in) return nullptr;
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (g_cache.size() >= kMaxCachedFiles) g_cache.clear();
    Decoded entry{st.st_size, mtimeNs, std::make_shared<const DecodedText>(decode(std::move(bytes)))};
    return g_cache.insert_or_assign(path, std::move(entry)).first->second.text;
}

// The looks at files taken while a SourceCheckScope exists on this thread: a
// report is formatted on one thread, and another thread's lookups (a
// debugger's) must not see its looks.
thread_local int t_checkScopes = 0;
thread_local std::map<std::string, std::optional<struct stat>> t_checked;

// stat() of a regular file small enough to read, else nullopt.
std::optional<struct stat> statReadable(const std::string& path)
{
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (static_cast<std::uint64_t>(st.st_size) > kMaxSourceBytes) return std::nullopt;
    return st;
}

std::optional<struct stat> readableSource(const std::string& path)
{
    if (t_checkScopes == 0) return statReadable(path);
    if (auto it = t_checked.find(path); it != t_checked.end()) return it->second;
    return t_checked.emplace(path, statReadable(path)).first->second;
}

bool newerThan(const struct stat& st, std::optional<std::int64_t> notAfter)
{
    return notAfter && static_cast<std::int64_t>(st.st_mtim.tv_sec) > *notAfter;
}

}  // namespace

SourceCheckScope::SourceCheckScope() { ++t_checkScopes; }

SourceCheckScope::~SourceCheckScope()
{
    if (--t_checkScopes == 0) t_checked.clear();
}

std::optional<SourceText> readSource(const std::string& path, std::optional<std::int64_t> notAfter)
{
    const auto st = readableSource(path);
    if (!st) return std::nullopt;
    const auto text = cachedText(path, *st);
    if (!text) return std::nullopt;
    SourceText result;
    result.mayHaveChanged = newerThan(*st, notAfter);
    result.lines.reserve(text->lineCount());
    for (std::size_t i = 0; i < text->lineCount(); ++i) result.lines.emplace_back(text->line(i));
    return result;
}

std::optional<SourceLine> sourceLine(const std::string& path, int number, std::optional<std::int64_t> notAfter)
{
    if (number < 1) return std::nullopt;
    const auto st = readableSource(path);
    if (!st) return std::nullopt;
    const auto text = cachedText(path, *st);
    if (!text || static_cast<std::size_t>(number) > text->lineCount()) return std::nullopt;
    return SourceLine{strip(text->line(static_cast<std::size_t>(number) - 1)), newerThan(*st, notAfter)};
}

}  // namespace pyautopsy::report
