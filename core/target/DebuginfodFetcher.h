// DebuginfodFetcher: a BuildIdFetcher over elfutils' libdebuginfod, with the
// conventions gdb and lldb share: the servers in $DEBUGINFOD_URLS, the cache
// in $DEBUGINFOD_CACHE_PATH (default ~/.cache/debuginfod_client), and the
// library's other variables (DEBUGINFOD_TIMEOUT, ...).
#pragma once

#include "target/BuildIdFetcher.h"

#include <memory>
#include <string>

struct debuginfod_client;

namespace pyautopsy::target {

class DebuginfodFetcher : public BuildIdFetcher {
public:
    // nullptr when $DEBUGINFOD_URLS is unset or empty: then nothing is fetched.
    static std::unique_ptr<DebuginfodFetcher> fromEnvironment();
    ~DebuginfodFetcher() override;
    DebuginfodFetcher(const DebuginfodFetcher&) = delete;
    DebuginfodFetcher& operator=(const DebuginfodFetcher&) = delete;

    std::optional<std::string> fetchExecutable(const std::string& buildId) override;
    std::string source() const override;

private:
    DebuginfodFetcher(debuginfod_client* client, std::string urls);
    debuginfod_client* m_client;
    std::string m_urls;
};

}  // namespace pyautopsy::target
