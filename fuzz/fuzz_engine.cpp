// Fuzz target: the whole engine over a memory image -- a real scenario core
// whose pages holding Python state (thread states, frames, code and other
// objects, stacks) are patched with the fuzzer's bytes -- walked with locals
// and native frames, diagnosed, and written as the JSON and text reports.
//
// The core is read once: $PYAUTOPSY_FUZZ_CORE, else the 3.12.1 locals_zoo
// scenario core of the test bed ($PYAUTOPSY_CACHE or ~/.cache/pyautopsy).
// The pages are those an unpatched walk reads in writable mappings, in the
// order it first reads them; the binaries, found once, are not mutated.
//
// Input: patch records, each [page u8][offset u16][length u8][bytes...],
// applied in order (page modulo the pages found, offset modulo 4096, length
// modulo 32). An empty input is the unmodified core.
#include "FuzzSupport.h"

#include "diagnosis/Diagnose.h"
#include "report/JsonReport.h"
#include "report/JsonValue.h"
#include "report/TextReport.h"
#include "runtime/SnapshotBuilder.h"
#include "runtime/discovery/Runtime.h"
#include "support/Error.h"
#include "target/CoreFileTarget.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

using namespace pyautopsy;

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::size_t kMaxPages = 256;

std::string defaultCore()
{
    if (const char* core = std::getenv("PYAUTOPSY_FUZZ_CORE")) return core;
    const char* cache = std::getenv("PYAUTOPSY_CACHE");
    const std::string root = cache ? cache : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cache/pyautopsy";
    const std::filesystem::path dir = root + "/cores/3.12.1/locals_zoo";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().filename().string().starts_with("core.")) return entry.path().string();
    return {};
}

// Forwards to the core, recording the writable pages read (the learning walk)
// or serving patched copies of them (each fuzzed walk).
class OverlayTarget : public target::Target {
public:
    explicit OverlayTarget(target::Target& base) : m_base(base) {}

    void record(bool on) { m_recording = on; }
    const std::vector<std::uint64_t>& pages() const { return m_pages; }
    void setOverlay(std::map<std::uint64_t, std::vector<std::uint8_t>> overlay) { m_overlay = std::move(overlay); }

    std::string_view kind() const override { return m_base.kind(); }
    std::size_t read(std::uint64_t address, void* out, std::size_t size) override
    {
        if (m_recording) noteRead(address, size);
        if (m_overlay.empty()) return m_base.read(address, out, size);
        auto* dest = static_cast<std::uint8_t*>(out);
        std::size_t copied = 0;
        while (copied < size) {
            const std::uint64_t at = address + copied;
            if (at < address) break;
            const std::uint64_t page = at & ~(kPage - 1);
            const std::size_t n = std::min<std::size_t>(size - copied, page + kPage - at);
            std::size_t got;
            if (auto it = m_overlay.find(page); it != m_overlay.end()) {
                std::memcpy(dest + copied, it->second.data() + (at - page), n);
                got = n;
            } else {
                got = m_base.read(at, dest + copied, n);
            }
            copied += got;
            if (got < n) break;
        }
        return copied;
    }
    void beginWalk() override { m_base.beginWalk(); }
    bool walkWasConsistent() const override { return m_base.walkWasConsistent(); }
    const target::ProcessInfo& process() const override { return m_base.process(); }
    const std::vector<target::ThreadInfo>& threads() const override { return m_base.threads(); }
    const std::vector<target::Mapping>& mappings() const override { return m_base.mappings(); }
    std::string resolveModulePath(const std::string& path) const override { return m_base.resolveModulePath(path); }

private:
    void noteRead(std::uint64_t address, std::size_t size)
    {
        for (std::uint64_t page = address & ~(kPage - 1); page < address + size && m_pages.size() < kMaxPages; page += kPage) {
            if (m_seen.count(page)) continue;
            m_seen.emplace(page, true);
            for (const auto& mapping : m_base.mappings())
                if (mapping.writable && page >= mapping.start && page < mapping.end) {
                    m_pages.push_back(page);
                    break;
                }
        }
    }

    target::Target& m_base;
    bool m_recording = false;
    std::map<std::uint64_t, bool> m_seen;
    std::vector<std::uint64_t> m_pages;
    std::map<std::uint64_t, std::vector<std::uint8_t>> m_overlay;
};

struct Engine {
    std::unique_ptr<target::CoreFileTarget> core;
    std::unique_ptr<OverlayTarget> overlay;
    std::unique_ptr<target::Memory> memory;
    std::unique_ptr<target::ModuleIndex> modules;
    runtime::Runtime runtime;
    runtime::SnapshotOptions options;
    std::map<std::uint64_t, std::vector<std::uint8_t>> pristine;   // the pages as the core has them
};

Engine* openEngine()
{
    const std::string path = defaultCore();
    if (path.empty()) {
        std::fprintf(stderr, "fuzz_engine: no scenario core (set PYAUTOPSY_FUZZ_CORE or generate the test bed's cores)\n");
        std::exit(77);   // ctest: skipped
    }
    auto* engine = new Engine;
    engine->core = target::CoreFileTarget::open(path, {});
    engine->overlay = std::make_unique<OverlayTarget>(*engine->core);
    engine->memory = std::make_unique<target::Memory>(*engine->overlay);
    engine->modules = std::make_unique<target::ModuleIndex>(*engine->overlay);
    engine->runtime = runtime::openRuntime(*engine->memory, *engine->modules);
    engine->options.locals = true;
    engine->options.native = true;
    engine->overlay->record(true);
    (void)runtime::buildSnapshot(*engine->memory, *engine->modules, engine->runtime, engine->options);
    engine->overlay->record(false);
    for (std::uint64_t page : engine->overlay->pages()) {
        std::vector<std::uint8_t> bytes(kPage, 0);
        engine->core->read(page, bytes.data(), bytes.size());
        engine->pristine.emplace(page, std::move(bytes));
    }
    std::fprintf(stderr, "fuzz_engine: %s, %zu pages mutated\n", path.c_str(), engine->pristine.size());
    return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static Engine* engine = openEngine();
    const auto& pages = engine->overlay->pages();
    if (pages.empty()) return 0;

    std::map<std::uint64_t, std::vector<std::uint8_t>> overlay;
    fuzz::ByteReader input({data, size});
    while (!input.empty()) {
        const std::uint64_t page = pages[input.take<std::uint8_t>() % pages.size()];
        const std::size_t offset = input.take<std::uint16_t>() % kPage;
        const std::size_t length = input.take<std::uint8_t>() % 32;
        const auto bytes = input.takeBytes(std::min(length, kPage - offset));
        auto [it, added] = overlay.try_emplace(page);
        if (added) it->second = engine->pristine.at(page);
        std::memcpy(it->second.data() + offset, bytes.data(), bytes.size());
    }
    engine->overlay->setOverlay(std::move(overlay));

    std::size_t sink = 0;
    try {
        auto snapshot = runtime::buildSnapshot(*engine->memory, *engine->modules, engine->runtime, engine->options);
        const auto diagnosis = diagnosis::diagnose(snapshot);
        sink += report::jsonText(report::toJson(snapshot, diagnosis)).size();
        sink += report::formatSnapshot(snapshot, diagnosis, report::TextOptions{}).size();
    } catch (const Error&) {
        // The walk may conclude that there is no readable runtime: one line, not a crash.
    }
    engine->overlay->setOverlay({});
    return sink == ~std::size_t{0};
}
