#include "batch/Decompress.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace pyautopsy::batch {
namespace {

namespace fs = std::filesystem;

// Files compressed by the real tools (zstd, lz4, xz, gzip), as CI scripts make them.
class DecompressTest : public ::testing::TestWithParam<std::pair<const char*, Compression>> {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("pyautopsy-decompress-" + std::to_string(::getpid()));
        fs::create_directories(m_dir);
        // 1 MiB of zeros (a hole after decompression) between two marked blocks.
        std::ofstream out(m_dir / "plain", std::ios::binary);
        out << "HEAD";
        out << std::string(1 << 20, '\0');
        out << "TAIL";
    }
    void TearDown() override { fs::remove_all(m_dir); }

    fs::path compress(const char* tool)
    {
        const std::string command = std::string(tool) + " -c " + (m_dir / "plain").string() + " > " +
                                    (m_dir / "packed").string() + " 2>/dev/null";
        if (std::system(command.c_str()) != 0) return {};
        return m_dir / "packed";
    }

    fs::path m_dir;
};

TEST_P(DecompressTest, RoundTripKeepsBytesAndHoles)
{
    const auto [tool, compression] = GetParam();
    const fs::path packed = compress(tool);
    if (packed.empty()) GTEST_SKIP() << tool << " is not installed";
    std::ifstream head(packed, std::ios::binary);
    std::uint8_t magic[8] = {};
    head.read(reinterpret_cast<char*>(magic), sizeof magic);
    EXPECT_EQ(sniffCompression(magic), compression);

    const fs::path out = m_dir / "out";
    decompressFile(packed.string(), compression, out.string(), 64 << 20);
    std::ifstream a(m_dir / "plain", std::ios::binary), b(out, std::ios::binary);
    const std::string expected((std::istreambuf_iterator<char>(a)), {}), got((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(got, expected);
    struct stat st{};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_LT(st.st_blocks * 512, 1 << 19) << "zeros were written instead of skipped";
}

TEST_P(DecompressTest, TruncatedInputAndSizeCapAreErrors)
{
    const auto [tool, compression] = GetParam();
    const fs::path packed = compress(tool);
    if (packed.empty()) GTEST_SKIP() << tool << " is not installed";
    EXPECT_THROW(decompressFile(packed.string(), compression, (m_dir / "capped").string(), 4096), Error);
    fs::resize_file(packed, fs::file_size(packed) / 2);
    EXPECT_THROW(decompressFile(packed.string(), compression, (m_dir / "cut").string(), 64 << 20), Error);
}

INSTANTIATE_TEST_SUITE_P(Tools, DecompressTest,
                         ::testing::Values(std::pair{"zstd", Compression::Zstd}, std::pair{"lz4", Compression::Lz4},
                                           std::pair{"xz", Compression::Xz}, std::pair{"gzip", Compression::Gzip}),
                         [](const auto& param) { return std::string(param.param.first); });

}  // namespace
}  // namespace pyautopsy::batch
