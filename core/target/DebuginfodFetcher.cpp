#include "target/DebuginfodFetcher.h"

#include "support/Error.h"

#include <elfutils/debuginfod.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <unistd.h>

namespace pyautopsy::target {

namespace {

// libdebuginfod brings an HTTP and TLS stack (libcurl, gnutls, krb5, ldap,
// ...): linked in, the loader maps some thirty libraries into every run of
// pyautopsy, about 12 ms of a 20 ms core analysis, for a feature used only
// when DEBUGINFOD_URLS is set. So it is loaded then, as elfutils' own libdw
// loads it.
struct Api {
    decltype(&debuginfod_begin) begin = nullptr;
    decltype(&debuginfod_end) end = nullptr;
    decltype(&debuginfod_find_executable) findExecutable = nullptr;
};

const Api& api()
{
    static const Api loaded = [] {
        Api a;
        void* library = ::dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr)
            throw Error(ErrorKind::System,
                        fmt::format("DEBUGINFOD_URLS is set but libdebuginfod cannot be loaded ({}); install "
                                    "Debian's libdebuginfod1 or unset DEBUGINFOD_URLS", ::dlerror()));
        a.begin = reinterpret_cast<decltype(a.begin)>(::dlsym(library, "debuginfod_begin"));
        a.end = reinterpret_cast<decltype(a.end)>(::dlsym(library, "debuginfod_end"));
        a.findExecutable = reinterpret_cast<decltype(a.findExecutable)>(::dlsym(library, "debuginfod_find_executable"));
        if (a.begin == nullptr || a.end == nullptr || a.findExecutable == nullptr)
            throw Error(ErrorKind::System, "libdebuginfod.so.1 lacks the functions pyautopsy calls");
        return a;
    }();
    return loaded;
}

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
    debuginfod_client* client = api().begin();
    if (client == nullptr)
        throw Error(ErrorKind::System, "DEBUGINFOD_URLS is set but libdebuginfod could not start a client");
    return std::unique_ptr<DebuginfodFetcher>(new DebuginfodFetcher(client, urls));
}

DebuginfodFetcher::DebuginfodFetcher(debuginfod_client* client, std::string urls)
    : m_client(client), m_urls(std::move(urls))
{
}

DebuginfodFetcher::~DebuginfodFetcher() { api().end(m_client); }

std::optional<std::string> DebuginfodFetcher::fetchExecutable(const std::string& buildId)
{
    // The id comes from target memory: only plain hex goes into a URL.
    if (!isHex(buildId)) throw Error(ErrorKind::BadInput, fmt::format("build-id '{}' is not hex", buildId));
    char* path = nullptr;
    // A length of 0 tells libdebuginfod the id is a hex string.
    const int fd = api().findExecutable(m_client, reinterpret_cast<const unsigned char*>(buildId.c_str()), 0,
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
