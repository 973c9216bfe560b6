#include "target/CoreFileTarget.h"

#include "TestProcesses.h"
#include "support/Error.h"
#include "target/ElfImage.h"
#include "target/Memory.h"
#include "target/ModuleIndex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pyautopsy;
using namespace pyautopsy::target;
using namespace pyautopsy::target::testing;

namespace {

// A core of python3.11 that called os.abort(), made once for the whole suite.
class AbortCore : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        s_dir = new TempDir();
        s_core = makeCore(s_dir->path, "import os; os.abort()", s_why);
    }
    static void TearDownTestSuite()
    {
        delete s_dir;
        s_dir = nullptr;
    }
    void SetUp() override
    {
        if (!s_core) GTEST_SKIP() << s_why;
    }

    static std::string copyPrefix(std::size_t bytes)
    {
        std::ifstream in(*s_core, std::ios::binary);
        std::string data(bytes, '\0');
        in.read(data.data(), static_cast<std::streamsize>(bytes));
        data.resize(static_cast<std::size_t>(in.gcount()));
        const std::string path = s_dir->path + "/truncated-" + std::to_string(bytes);
        std::ofstream(path, std::ios::binary) << data;
        return path;
    }

    static inline TempDir* s_dir = nullptr;
    static inline std::optional<std::string> s_core;
    static inline std::string s_why;
};

ErrorKind openErrorKind(const std::string& path, std::string* message = nullptr)
{
    try {
        CoreFileTarget::open(path, {});
    } catch (const Error& error) {
        if (message != nullptr) *message = error.what();
        return error.kind();
    }
    return ErrorKind::Usage;  // "opened": no error kind stands for success here
}

}  // namespace

TEST_F(AbortCore, ProcessFactsComeFromTheNotes)
{
    auto core = CoreFileTarget::open(*s_core, {});
    EXPECT_EQ(core->kind(), "core");
    const ProcessInfo& process = core->process();
    ASSERT_TRUE(process.pid);
    ASSERT_TRUE(process.signal);
    EXPECT_EQ(process.signal->number, SIGABRT);
    EXPECT_EQ(process.signal->senderPid, process.pid);  // abort() raises it at itself
    EXPECT_EQ(process.ppid, ::getpid());
    EXPECT_EQ(process.executable, kPython);
    EXPECT_NE(process.command.find("os.abort()"), std::string::npos);
    ASSERT_TRUE(process.crashedTid);
    EXPECT_EQ(*process.crashedTid, *process.pid);  // single-threaded: the main thread aborted
    EXPECT_TRUE(process.auxvEntry);
}

TEST_F(AbortCore, TheCrashedThreadHasRegistersAndItsName)
{
    auto core = CoreFileTarget::open(*s_core, {});
    const auto& threads = core->threads();
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_EQ(threads[0].tid, *core->process().crashedTid);
    EXPECT_EQ(threads[0].name, "python3.11");
    ASSERT_TRUE(threads[0].registers);
    EXPECT_NE(threads[0].registers->rip, 0u);
    EXPECT_NE(threads[0].registers->rsp, 0u);
    // The stack pointer points into a mapping, and the instruction pointer into libc.
    ModuleIndex modules(*core);
    auto hit = modules.symbolize(threads[0].registers->rip);
    ASSERT_TRUE(hit);
    EXPECT_NE(hit->module->path.find("libc"), std::string::npos);
}

TEST_F(AbortCore, MappingsComeFromNtFileAndPtLoad)
{
    auto core = CoreFileTarget::open(*s_core, {});
    const auto& maps = core->mappings();
    ASSERT_FALSE(maps.empty());
    EXPECT_TRUE(std::is_sorted(maps.begin(), maps.end(), [](auto& a, auto& b) { return a.start < b.start; }));
    auto python = std::find_if(maps.begin(), maps.end(), [](auto& m) { return m.path == kPython; });
    ASSERT_NE(python, maps.end());
    EXPECT_EQ(python->start, 0x400000u);  // not PIE
    EXPECT_EQ(python->fileOffset, 0u);
    EXPECT_TRUE(std::any_of(maps.begin(), maps.end(), [](auto& m) { return m.path.empty() && m.writable; }));
    EXPECT_TRUE(core->warnings().empty()) << core->warnings().front();
}

TEST_F(AbortCore, RuntimeIsReadableAndInitialized)
{
    auto core = CoreFileTarget::open(*s_core, {});
    ModuleIndex modules(*core);
    ASSERT_NE(modules.mainExecutable(), nullptr);
    EXPECT_EQ(modules.mainExecutable()->path, kPython);
    EXPECT_EQ(modules.mainExecutable()->bias, 0u);
    auto runtime = modules.findSymbol("_PyRuntime");
    ASSERT_TRUE(runtime);
    auto section = modules.findSection(".PyRuntime");
    ASSERT_TRUE(section);
    EXPECT_EQ(section->start, *runtime);

    // pyruntimestate (3.11) begins: _initialized, preinitializing, preinitialized,
    // core_initialized, initialized; all but preinitializing are 1 at os.abort().
    Memory memory(*core);
    std::int32_t flags[5];
    memory.readBytes(*runtime, flags, sizeof flags);
    EXPECT_EQ(flags[0], 1);
    EXPECT_EQ(flags[1], 0);
    EXPECT_EQ(flags[3], 1);
    EXPECT_EQ(flags[4], 1);
    EXPECT_TRUE(modules.warnings().empty()) << modules.warnings().front();
}

TEST_F(AbortCore, ReadOnlyDataLeftOutOfTheCoreIsReadFromDisk)
{
    auto core = CoreFileTarget::open(*s_core, {});
    auto image = ElfImage::open(kPython);
    auto rodata = image->findSection(".rodata");
    ASSERT_TRUE(rodata);
    std::vector<std::uint8_t> bytes(rodata->size);
    ASSERT_EQ(image->readVirtual(rodata->address, bytes.data(), bytes.size()), bytes.size());
    const std::string needle = "Fatal Python error";
    auto offset = findBytes(bytes, needle);
    ASSERT_TRUE(offset);

    Memory memory(*core);
    EXPECT_EQ(memory.readCString(rodata->address + *offset, 64).substr(0, needle.size()), needle);
    // A read spanning the whole of .rodata crosses page and segment bounds.
    std::vector<std::uint8_t> fromCore(bytes.size());
    EXPECT_EQ(core->read(rodata->address, fromCore.data(), fromCore.size()), fromCore.size());
    EXPECT_EQ(fromCore, bytes);
}

TEST_F(AbortCore, SmallReadsSeeWhatOneLargeReadSees)
{
    // A walk's reads are a few bytes each; those within one block of the core
    // are served from the blocks read last. Read a written region (in the
    // core, not on disk) whole, then in small pieces that straddle block
    // bounds, come back to earlier blocks and cycle through more blocks
    // than are remembered, from a fresh target.
    auto whole = CoreFileTarget::open(*s_core, {});
    const Mapping* region = nullptr;
    for (const Mapping& mapping : whole->mappings())
        if (mapping.writable && mapping.end - mapping.start >= (512u << 10)) region = &mapping;
    ASSERT_NE(region, nullptr);
    constexpr std::size_t kSpan = 384u << 10;   // 192 blocks of ElfFile::kBlock
    std::vector<std::uint8_t> expected(kSpan);
    ASSERT_EQ(whole->read(region->start, expected.data(), kSpan), kSpan);

    auto pieces = CoreFileTarget::open(*s_core, {});
    std::vector<std::uint8_t> seen(kSpan, 0xa5);
    std::size_t at = 0;
    std::uint64_t step = 1;
    for (int i = 0; i < 40000; ++i) {
        step = step * 6364136223846793005u + 1442695040888963407u;   // a fixed pseudo-random walk
        const std::size_t size = 1 + (step >> 40) % 24;
        at = (at + (step >> 20) % 5000) % (kSpan - size);
        ASSERT_EQ(pieces->read(region->start + at, seen.data() + at, size), size) << "at " << at;
        ASSERT_TRUE(std::equal(seen.begin() + static_cast<std::ptrdiff_t>(at),
                               seen.begin() + static_cast<std::ptrdiff_t>(at + size),
                               expected.begin() + static_cast<std::ptrdiff_t>(at)))
            << size << " bytes at " << at;
    }
    // Reads are remembered, not re-read: ~200 blocks for 40,000 reads.
    EXPECT_LE(pieces->blocksRead(), whole->blocksRead());
}

TEST_F(AbortCore, UnmappedAddressesReadNothing)
{
    auto core = CoreFileTarget::open(*s_core, {});
    std::uint8_t byte;
    EXPECT_EQ(core->read(0, &byte, 1), 0u);
    EXPECT_EQ(core->read(0x1000, &byte, 1), 0u);
    std::uint8_t wrap[16];
    EXPECT_LE(core->read(~std::uint64_t{0} - 3, wrap, sizeof wrap), 4u);
}

TEST_F(AbortCore, TruncatedCopiesOpenWithAWarningOrFailCleanly)
{
    const auto size = std::filesystem::file_size(*s_core);
    for (std::size_t bytes : {std::size_t{0}, std::size_t{3}, std::size_t{40}, std::size_t{100}, std::size_t{4096},
                              std::size_t{size / 3}, std::size_t{size - 1}}) {
        const std::string path = copyPrefix(bytes);
        try {
            auto core = CoreFileTarget::open(path, {});
            EXPECT_FALSE(core->warnings().empty()) << bytes << " bytes opened without a warning";
            // Everything stays readable without crashing, and the index can be built.
            ModuleIndex modules(*core);
            std::vector<std::uint8_t> buffer(1 << 16);
            for (const Mapping& mapping : core->mappings()) core->read(mapping.start, buffer.data(), buffer.size());
        } catch (const Error& error) {
            EXPECT_EQ(error.kind(), ErrorKind::BadInput) << error.what();
        }
    }
}

TEST_F(AbortCore, WrongExecutableGivesABuildIdWarning)
{
    auto core = CoreFileTarget::open(*s_core, {"/bin/ls", "", nullptr});
    EXPECT_EQ(core->resolveModulePath(kPython), "/bin/ls");
    ModuleIndex modules(*core);
    ASSERT_NE(modules.mainExecutable(), nullptr);
    modules.image(*modules.mainExecutable());
    ASSERT_EQ(modules.warnings().size(), 1u);
    EXPECT_NE(modules.warnings()[0].find("build-id mismatch for /bin/ls: core has "), std::string::npos)
        << modules.warnings()[0];
    EXPECT_NE(modules.warnings()[0].find("pass --sysroot or --exe"), std::string::npos);
}

// Like a debugger's sysroot: a file missing under it is missing, never taken
// from this host instead (where it may be a different build).
TEST_F(AbortCore, SysrootIsTheOnlyPlaceFilesAreLookedUp)
{
    TempDir root;
    std::filesystem::create_directories(root.path + "/usr/bin");
    std::filesystem::copy_file(kPython, root.path + kPython);
    auto core = CoreFileTarget::open(*s_core, {"", root.path, nullptr});
    EXPECT_EQ(core->resolveModulePath(kPython), root.path + kPython);
    EXPECT_EQ(core->resolveModulePath("/lib/x86_64-linux-gnu/libc.so.6"),
              root.path + "/lib/x86_64-linux-gnu/libc.so.6");
}

namespace {

// A fetcher that has one file, under any build-id, and records what it was asked for.
class FakeFetcher : public BuildIdFetcher {
public:
    explicit FakeFetcher(std::string file) : m_file(std::move(file)) {}
    std::optional<std::string> fetchExecutable(const std::string& buildId) override
    {
        asked.push_back(buildId);
        if (m_file.empty()) throw Error(ErrorKind::System, "Connection refused");
        return m_file;
    }
    std::string source() const override { return "fake server"; }
    std::vector<std::string> asked;

private:
    std::string m_file;
};

bool anyWarningHas(const CoreFileTarget& core, const std::string& text)
{
    return std::any_of(core.warnings().begin(), core.warnings().end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

// A file missing under --sysroot is fetched by the build-id the core shows,
// used for the module and for the bytes the core left out, and named in a warning.
TEST_F(AbortCore, MissingFileIsFetchedByBuildId)
{
    TempDir root;
    auto fetcher = std::make_shared<FakeFetcher>(kPython);
    auto core = CoreFileTarget::open(*s_core, {"", root.path, fetcher});
    ModuleIndex modules(*core);
    ASSERT_NE(modules.mainExecutable(), nullptr);
    ASSERT_NE(modules.image(*modules.mainExecutable()), nullptr);
    const auto expectedId = ElfImage::open(kPython)->buildId();
    ASSERT_TRUE(expectedId.has_value());
    ASSERT_FALSE(fetcher->asked.empty());
    EXPECT_EQ(fetcher->asked.front(), *expectedId);
    EXPECT_TRUE(modules.warnings().empty()) << modules.warnings().front();
    EXPECT_TRUE(anyWarningHas(*core, std::string(kPython) + ": " + root.path + kPython + " is missing; fetched build-id "
                                         + *expectedId + " from fake server: " + kPython));
}

// --exe is the user's choice: nothing is fetched for the executable.
TEST_F(AbortCore, ExeTakesPrecedenceOverFetching)
{
    auto fetcher = std::make_shared<FakeFetcher>(kPython);
    auto core = CoreFileTarget::open(*s_core, {"/bin/ls", "", fetcher});
    ModuleIndex modules(*core);
    ASSERT_NE(modules.mainExecutable(), nullptr);
    modules.image(*modules.mainExecutable());
    EXPECT_TRUE(fetcher->asked.empty());
    EXPECT_NE(modules.warnings().at(0).find("build-id mismatch for /bin/ls"), std::string::npos);
}

// A failed fetch is one warning with the reason, and the fetcher is asked no
// more; the modules are then missing as before.
TEST_F(AbortCore, FailedFetchIsOneWarning)
{
    TempDir root;
    auto fetcher = std::make_shared<FakeFetcher>("");
    auto core = CoreFileTarget::open(*s_core, {"", root.path, fetcher});
    ModuleIndex modules(*core);
    ASSERT_NE(modules.mainExecutable(), nullptr);
    for (const Module& module : modules.modules()) EXPECT_EQ(modules.image(module), nullptr) << module.path;
    EXPECT_EQ(fetcher->asked.size(), 1u);
    EXPECT_TRUE(anyWarningHas(*core, " is missing; build-id "));
    EXPECT_TRUE(anyWarningHas(*core, " not fetched from fake server: Connection refused; nothing more is fetched"));
}

TEST(CoreFileTarget, NonCoreInputsAreBadInput)
{
    std::string message;
    EXPECT_EQ(openErrorKind(kPython, &message), ErrorKind::BadInput);
    EXPECT_NE(message.find("not a core file (ELF type ET_EXEC"), std::string::npos) << message;

    TempDir dir;
    const std::string text = dir.path + "/notes.txt";
    std::ofstream(text) << "not a core\n";
    EXPECT_EQ(openErrorKind(text, &message), ErrorKind::BadInput);
    EXPECT_NE(message.find("not an ELF file"), std::string::npos) << message;

    EXPECT_EQ(openErrorKind(dir.path + "/missing-core", &message), ErrorKind::BadInput);
    EXPECT_NE(message.find("missing-core: cannot open"), std::string::npos) << message;
}

TEST(CoreFileTarget, GcoreOfASleepingPythonHasEveryThread)
{
    if (!std::filesystem::exists("/usr/bin/gdb")) GTEST_SKIP() << "gdb is not installed";
    PythonChild child(
        "import threading, time, sys\n"
        "for _ in range(3): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n");
    ASSERT_TRUE(child.ready());
    TempDir dir;
    const std::string corePath = dir.path + "/gcore";
    const std::string command = "/usr/bin/gdb -batch -nx -p " + std::to_string(child.pid()) + " -ex 'gcore " + corePath
                                + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    ASSERT_TRUE(std::filesystem::exists(corePath));

    auto core = CoreFileTarget::open(corePath, {});
    EXPECT_EQ(core->process().pid, child.pid());
    EXPECT_EQ(core->threads().size(), 4u);
    for (const ThreadInfo& thread : core->threads()) EXPECT_TRUE(thread.registers) << thread.tid;
    EXPECT_EQ(core->process().executable, kPython);
    ModuleIndex modules(*core);
    auto runtime = modules.findSymbol("_PyRuntime");
    ASSERT_TRUE(runtime);
    std::int32_t initialized = 0;
    ASSERT_EQ(core->read(*runtime, &initialized, 4), 4u);
    EXPECT_EQ(initialized, 1);
    EXPECT_TRUE(modules.warnings().empty()) << modules.warnings().front();
}
