#include "batch/Discovery.h"

#include "batch/CoreProbe.h"
#include "batch/Decompress.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

namespace fs = std::filesystem;

class Walker {
public:
    Walker(const DiscoveryLimits& limits, Discovery& out) : m_limits(limits), m_out(out) {}

    void visitFile(const fs::path& path, bool explicitlyNamed)
    {
        if (m_out.candidates.size() >= m_limits.maxCores) {
            noteOnce("stopped at {} cores (the limit)", m_limits.maxCores);
            return;
        }
        const CoreName name = parseCoreName(path.filename().string());
        const bool coreName = name.style != NameStyle::NotACoreName;
        std::array<std::uint8_t, 64> head{};
        std::size_t got = 0;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            if (coreName || explicitlyNamed)
                m_out.skipped.push_back({path.string(), fmt::format("cannot open: {}", std::strerror(errno))});
            return;
        }
        const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
        ::close(fd);
        if (n > 0) got = static_cast<std::size_t>(n);
        const std::span<const std::uint8_t> bytes(head.data(), got);

        if (isElfCoreHeader(bytes)) {
            m_out.candidates.push_back({path.string(), name, Compression::None});
            return;
        }
        const Compression compression = sniffCompression(bytes);
        if (compression != Compression::None && (coreName || explicitlyNamed)) {
            m_out.candidates.push_back({path.string(), name, compression});
            return;
        }
        if (coreName || explicitlyNamed) {
            const char* why = got == 0                                    ? "empty file"
                              : got >= 4 && std::memcmp(bytes.data(), "\177ELF", 4) == 0 ? "an ELF file but not a core"
                                                                          : "not an ELF core nor a compressed file";
            m_out.skipped.push_back({path.string(), why});
        }
    }

    void walk(const fs::path& root)
    {
        std::error_code ec;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        if (ec) {
            m_out.notes.push_back(fmt::format("{}: {}", root.string(), ec.message()));
            return;
        }
        for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
            if (ec) {
                m_out.notes.push_back(fmt::format("{}: {}", root.string(), ec.message()));
                break;
            }
            if (++m_entries > m_limits.maxEntries) {
                noteOnce("stopped after {} directory entries (the limit)", m_limits.maxEntries);
                break;
            }
            if (it.depth() >= static_cast<int>(m_limits.maxDepth)) it.disable_recursion_pending();
            // symlink_status: a symlink to a directory is not descended (the iterator
            // does not follow them by default); a symlink to a file is a file.
            std::error_code statError;
            if (it->is_regular_file(statError)) visitFile(it->path(), false);
        }
    }

private:
    template <typename... Args>
    void noteOnce(fmt::format_string<Args...> format, Args&&... args)
    {
        std::string note = fmt::format(format, std::forward<Args>(args)...);
        if (std::find(m_out.notes.begin(), m_out.notes.end(), note) == m_out.notes.end()) m_out.notes.push_back(note);
    }

    const DiscoveryLimits& m_limits;
    Discovery& m_out;
    std::size_t m_entries = 0;
};

}  // namespace

Discovery discoverCores(const std::vector<std::string>& paths, const DiscoveryLimits& limits)
{
    Discovery out;
    Walker walker(limits, out);
    for (const auto& path : paths) {
        std::error_code ec;
        const auto status = fs::status(path, ec);
        if (ec || !fs::exists(status)) {
            out.skipped.push_back({path, "no such file or directory"});
        } else if (fs::is_directory(status)) {
            walker.walk(path);
        } else {
            walker.visitFile(path, true);
        }
    }
    // The same file reached twice (a directory and a file in it) is analysed once.
    std::sort(out.candidates.begin(), out.candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
    std::set<std::string> seen;
    std::vector<Candidate> unique;
    for (auto& candidate : out.candidates) {
        std::error_code ec;
        std::string key = fs::weakly_canonical(candidate.path, ec).string();
        if (ec) key = candidate.path;
        if (seen.insert(key).second) unique.push_back(std::move(candidate));
    }
    out.candidates = std::move(unique);
    return out;
}

}  // namespace pyautopsy::batch
