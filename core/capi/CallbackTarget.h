// CallbackTarget: a Target whose bytes and facts come from a C caller's callbacks.
//
// Built once per analysis: mappings, threads and process facts are collected
// up front (the caller's process does not change while pyautopsy_analyze runs),
// memory is read on demand through a page cache so that the many small reads
// of a walk cost few calls into the caller (a Python callback in GDB is slow).
// Callbacks that fail or misbehave only make the target emptier; they never
// throw through here.
#pragma once

#include "pyautopsy_capi.h"
#include "target/Target.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pyautopsy::capi {

class CallbackTarget : public target::Target {
public:
    // Throws pyautopsy::Error(Usage) when the callbacks struct is unusable.
    explicit CallbackTarget(const pyautopsy_callbacks& callbacks);

    std::string_view kind() const override { return m_kind; }
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override;
    const target::ProcessInfo& process() const override { return m_process; }
    const std::vector<target::ThreadInfo>& threads() const override { return m_threads; }
    const std::vector<target::Mapping>& mappings() const override { return m_mappings; }

    const std::string& corePath() const { return m_corePath; }

private:
    static constexpr std::uint64_t kPageSize = 4096;
    // Reads this large skip the cache: they are scans that would only evict it.
    static constexpr std::size_t kDirectReadSize = 64 * 1024;
    static constexpr std::size_t kMaxCachedPages = 16 * 1024;  // 64 MiB
    static constexpr std::size_t kMaxCallbackRead = 1024 * 1024;

    const std::vector<char>& page(std::uint64_t pageAddress);
    std::size_t readDirect(std::uint64_t address, void* out, std::size_t size);

    pyautopsy_callbacks m_callbacks{};
    std::string m_kind;
    std::string m_corePath;
    target::ProcessInfo m_process;
    std::vector<target::ThreadInfo> m_threads;
    std::vector<target::Mapping> m_mappings;
    // Page address -> the bytes readable from its start (shorter than a page
    // where memory ends inside it; empty when unreadable).
    std::unordered_map<std::uint64_t, std::vector<char>> m_pages;
};

}  // namespace pyautopsy::capi
