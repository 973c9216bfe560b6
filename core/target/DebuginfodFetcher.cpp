#include "target/DebuginfodFetcher.h"

#include "support/Error.h"

#include <elfutils/debuginfod.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

bool isHex(const std::string& text)
{
    if (text.empty()) return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

std::unique_ptr<DebuginfodFetcher> DebuginfodFetcher::fromEnvironment()
{
    const char* urls = std::getenv("DEBUGINFOD_URLS");
    if (urls == nullptr || urls[0] == '\0') return nullptr;
    debuginfod_client* client = debuginfod_begin();
    if (client == nullptr)
        throw Error(ErrorKind::System, "DEBUGINFOD_URLS is set but libdebuginfod could not start a client");
    return std::unique_ptr<DebuginfodFetcher>(new DebuginfodFetcher(client, urls));
}

DebuginfodFetcher::DebuginfodFetcher(debuginfod_client* client, std::string urls)
    : m_client(client), m_urls(std::move(urls))
{
}

DebuginfodFetcher::~DebuginfodFetcher() { debuginfod_end(m_client); }

std::optional<std::string> DebuginfodFetcher::fetchExecutable(const std::string& buildId)
{
    // The id comes from target memory: only plain hex goes into a URL.
    if (!isHex(buildId)) throw Error(ErrorKind::BadInput, fmt::format("build-id '{}' is not hex", buildId));
    char* path = nullptr;
    // A length of 0 tells libdebuginfod the id is a hex string.
    const int fd = debuginfod_find_executable(m_client, reinterpret_cast<const unsigned char*>(buildId.c_str()), 0,
                                              &path);
    // -errno: ENOENT when every server answered that it has no such file.
    if (fd == -ENOENT) return std::nullopt;
    if (fd < 0) throw Error(ErrorKind::System, std::strerror(-fd));
    ::close(fd);
    std::string result = path != nullptr ? path : "";
    std::free(path);
    if (result.empty()) throw Error(ErrorKind::System, "libdebuginfod returned no path");
    return result;
}

std::string DebuginfodFetcher::source() const { return fmt::format("debuginfod ({})", m_urls); }

}  // namespace pyautopsy::target
