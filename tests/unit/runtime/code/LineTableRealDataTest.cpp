// Real line tables against the interpreter's own PyCode_Addr2Line.
//
// PYAUTOPSY_LINETABLE_VECTORS names a directory of JSON files written by
// dump_vectors.py, one per interpreter; run_real_data.py produces them for a
// set of interpreters and runs this test for each. Every recorded offset is
// checked; a summary line per file (prefixed "linetable-summary") carries the
// figures the driver reports.
#include "runtime/code/LineTable.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kReportedMismatches = 20;

std::optional<LineTableFormat> parseFormat(const std::string& name)
{
    if (name == "Lnotab38") {
        return LineTableFormat::Lnotab38;
    }
    if (name == "Linetable310") {
        return LineTableFormat::Linetable310;
    }
    if (name == "Locations311") {
        return LineTableFormat::Locations311;
    }
    return std::nullopt;
}

std::vector<std::uint8_t> fromHex(const std::string& hex)
{
    std::vector<std::uint8_t> bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

std::optional<int> expectedLine(const json& value)
{
    if (value.is_null()) {
        return std::nullopt;
    }
    return value.get<int>();
}

std::string show(std::optional<int> line) { return line ? std::to_string(*line) : "none"; }

struct Figures {
    long codes = 0;
    long offsets = 0;
    long mismatches = 0;
};

class Checker {
public:
    Checker(LineTableFormat format, Figures& figures) : m_format(format), m_figures(figures) {}

    void check(const json& code)
    {
        const auto table = fromHex(code.at("table").get<std::string>());
        const int first = code.at("firstlineno").get<int>();
        const auto& where = code.at("where").get_ref<const std::string&>();
        const auto& lines = code.at("lines");
        ++m_figures.codes;
        for (std::size_t unit = 0; unit < lines.size(); ++unit) {
            const int offset = static_cast<int>(2 * unit);
            compare(where, offset, lineForLasti(m_format, table, first, offset), expectedLine(lines[unit]));
        }
        // A frame that has not started: CPython answers co_firstlineno.
        for (const auto& pair : code.at("negative")) {
            const int offset = pair.at(0).get<int>();
            const auto expected = expectedLine(pair.at(1));
            compare(where, offset, lineForLasti(m_format, table, first, offset), expected);
            if (expected != first) {
                ADD_FAILURE() << where << ": interpreter answered " << show(expected) << " at offset " << offset
                              << ", not co_firstlineno " << first;
            }
        }
    }

private:
    void compare(const std::string& where, int offset, std::optional<int> actual, std::optional<int> expected)
    {
        ++m_figures.offsets;
        if (actual == expected) {
            return;
        }
        if (++m_figures.mismatches <= kReportedMismatches) {
            ADD_FAILURE() << where << " offset " << offset << ": decoded " << show(actual) << ", interpreter says "
                          << show(expected);
        }
    }

    LineTableFormat m_format;
    Figures& m_figures;
};

TEST(LineTableRealData, MatchesPyCodeAddr2Line)
{
    const char* dir = std::getenv("PYAUTOPSY_LINETABLE_VECTORS");
    if (dir == nullptr || *dir == '\0') {
        GTEST_SKIP() << "PYAUTOPSY_LINETABLE_VECTORS is not set; run tests/unit/linetable/run_real_data.py";
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no .json vector files in " << dir;

    for (const auto& path : files) {
        SCOPED_TRACE(path.string());
        std::ifstream in(path);
        ASSERT_TRUE(in) << "cannot open " << path;
        const json vectors = json::parse(in);
        const auto format = parseFormat(vectors.at("format").get<std::string>());
        ASSERT_TRUE(format) << "unknown format " << vectors.at("format");

        Figures figures;
        Checker checker(*format, figures);
        for (const auto& code : vectors.at("codes")) {
            checker.check(code);
        }
        EXPECT_GT(figures.codes, 0);
        EXPECT_EQ(figures.mismatches, 0);
        std::cout << "linetable-summary file=" << path.filename().string()
                  << " python=" << vectors.at("python").get<std::string>()
                  << " codes=" << figures.codes << " offsets=" << figures.offsets
                  << " mismatches=" << figures.mismatches << std::endl;
    }
}

}  // namespace
}  // namespace pyautopsy::runtime
