#include "batch/CoreName.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace pyautopsy::batch {
namespace {

bool allDigits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool allHex(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

// A pid is a positive int; Linux caps pid_max at 2^22, but we only refuse what
// cannot be an int so that odd systems still parse.
std::optional<int> parsePid(std::string_view s)
{
    if (!allDigits(s) || s.size() > 9) return std::nullopt;
    int value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value <= 0) return std::nullopt;
    return value;
}

std::vector<std::string_view> splitDots(std::string_view s)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = s.find('.', start);
        parts.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

}  // namespace

const char* compressionName(Compression compression)
{
    switch (compression) {
    case Compression::Zstd: return "zstd";
    case Compression::Lz4: return "lz4";
    case Compression::Xz: return "xz";
    case Compression::Gzip: return "gzip";
    case Compression::None: break;
    }
    return "";
}

CoreName parseCoreName(std::string_view name)
{
    CoreName result;
    static constexpr std::array<std::pair<std::string_view, Compression>, 4> kSuffixes{{
        {".zst", Compression::Zstd}, {".lz4", Compression::Lz4}, {".xz", Compression::Xz}, {".gz", Compression::Gzip}}};
    for (const auto& [suffix, compression] : kSuffixes) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
            name.remove_suffix(suffix.size());
            result.compression = compression;
            break;
        }
    }

    if (name == "core") {
        result.style = NameStyle::Plain;
        return result;
    }
    const auto parts = splitDots(name);
    if (parts.size() == 2 && parts[0] == "core") {
        if (auto pid = parsePid(parts[1])) {
            result.style = NameStyle::CorePid;
            result.pid = pid;
        }
        return result;
    }
    // systemd-coredump: core.COMM.UID.BOOTID.PID.TIME, read from the right
    // because COMM is free text.
    if (parts.size() >= 6 && parts[0] == "core") {
        const std::size_t n = parts.size();
        const auto time = parts[n - 1], pid = parts[n - 2], bootId = parts[n - 3], uid = parts[n - 4];
        if (allDigits(time) && allDigits(uid) && bootId.size() == 32 && allHex(bootId)) {
            if (auto parsed = parsePid(pid)) {
                result.style = NameStyle::Systemd;
                result.pid = parsed;
                const std::size_t commStart = parts[0].size() + 1;
                const std::size_t commEnd = static_cast<std::size_t>(uid.data() - name.data()) - 1;
                result.command = std::string(name.substr(commStart, commEnd - commStart));
                return result;
            }
        }
    }
    // NAME.PID.core: NAME may contain dots too.
    if (parts.size() >= 3 && parts.back() == "core") {
        if (auto pid = parsePid(parts[parts.size() - 2])) {
            result.style = NameStyle::NamePidCore;
            result.pid = pid;
            const std::size_t nameEnd = static_cast<std::size_t>(parts[parts.size() - 2].data() - name.data()) - 1;
            result.command = std::string(name.substr(0, nameEnd));
        }
    }
    return result;
}

}  // namespace pyautopsy::batch
