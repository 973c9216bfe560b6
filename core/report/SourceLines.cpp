#include "report/SourceLines.h"

#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace pyautopsy::report {
namespace {

constexpr std::size_t kMaxCachedFiles = 256;

struct Decoded {
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
    std::shared_ptr<const std::vector<std::string>> lines;
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

// Replaces every byte that is not part of valid UTF-8 with U+FFFD, as a
// decoder with errors="replace" would.
std::string validUtf8(std::string_view in)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        const auto c = static_cast<unsigned char>(in[i]);
        std::size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = length != 0 && i + length <= in.size();
        for (std::size_t k = 1; ok && k < length; ++k) ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
        if (!ok) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        out.append(in.substr(i, length));
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

std::vector<std::string> splitLines(const std::string& text)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::vector<std::string> decode(std::string bytes)
{
    const bool bom = bytes.starts_with("\xEF\xBB\xBF");
    if (bom) bytes.erase(0, 3);
    const std::string encoding = bom ? "utf-8" : declaredEncoding(std::string_view(bytes).substr(0, 1024));
    std::optional<std::string> text;
    if (encoding != "utf-8") text = toUtf8(bytes, encoding);
    return splitLines(text ? *text : validUtf8(bytes));
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

std::optional<SourceText> readSource(const std::string& path, std::optional<std::int64_t> notAfter)
{
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (static_cast<std::uint64_t>(st.st_size) > kMaxSourceBytes) return std::nullopt;
    const std::int64_t mtimeNs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    SourceText result;
    result.mayHaveChanged = notAfter && static_cast<std::int64_t>(st.st_mtim.tv_sec) > *notAfter;

    std::lock_guard lock(g_cacheLock);
    auto it = g_cache.find(path);
    if (it == g_cache.end() || it->second.size != st.st_size || it->second.mtimeNs != mtimeNs) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        if (g_cache.size() >= kMaxCachedFiles) g_cache.clear();
        Decoded entry{st.st_size, mtimeNs, std::make_shared<const std::vector<std::string>>(decode(std::move(bytes)))};
        it = g_cache.insert_or_assign(path, std::move(entry)).first;
    }
    result.lines = *it->second.lines;
    return result;
}

std::optional<SourceLine> sourceLine(const std::string& path, int number, std::optional<std::int64_t> notAfter)
{
    if (number < 1) return std::nullopt;
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::shared_ptr<const std::vector<std::string>> lines;
    bool changed = false;
    {
        // Cheap path: the file is cached already.
        std::lock_guard lock(g_cacheLock);
        auto it = g_cache.find(path);
        const std::int64_t mtimeNs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        if (it != g_cache.end() && it->second.size == st.st_size && it->second.mtimeNs == mtimeNs)
            lines = it->second.lines;
        changed = notAfter && static_cast<std::int64_t>(st.st_mtim.tv_sec) > *notAfter;
    }
    if (!lines) {
        auto text = readSource(path, notAfter);
        if (!text) return std::nullopt;
        lines = std::make_shared<const std::vector<std::string>>(std::move(text->lines));
        changed = text->mayHaveChanged;
    }
    if (static_cast<std::size_t>(number) > lines->size()) return std::nullopt;
    return SourceLine{strip((*lines)[static_cast<std::size_t>(number) - 1]), changed};
}

}  // namespace pyautopsy::report
