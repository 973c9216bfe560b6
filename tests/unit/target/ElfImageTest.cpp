#include "target/ElfImage.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

using namespace pyautopsy;
using namespace pyautopsy::target;

namespace {

const char* kPython = "/usr/bin/python3.11";

std::string pyenvLibpython()
{
    const char* home = std::getenv("HOME");
    std::string path = std::string(home != nullptr ? home : "") + "/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0";
    return std::filesystem::exists(path) ? path : std::string();
}

}  // namespace

TEST(ElfImage, DebianPythonHasRuntimeSymbolSectionAndBuildId)
{
    auto image = ElfImage::open(kPython);
    EXPECT_TRUE(image->isExecutable());  // Debian's python3.11 is not PIE
    auto runtime = image->findSymbol("_PyRuntime");
    ASSERT_TRUE(runtime);
    EXPECT_FALSE(runtime->isFunction);
    EXPECT_GT(runtime->size, 100u);

    auto section = image->findSection(".PyRuntime");
    ASSERT_TRUE(section);
    EXPECT_EQ(section->address, runtime->value);  // _PyRuntime is what that section holds
    EXPECT_TRUE(section->hasFileBytes);

    ASSERT_TRUE(image->buildId());
    EXPECT_EQ(image->buildId()->size(), 40u);
    EXPECT_FALSE(image->findSymbol("no_such_symbol_anywhere"));
}

TEST(ElfImage, SymbolizeFindsTheFunctionHoldingAnAddress)
{
    auto image = ElfImage::open(kPython);
    auto function = image->findSymbol("Py_FinalizeEx");
    ASSERT_TRUE(function);
    ASSERT_TRUE(function->isFunction);
    auto hit = image->symbolize(function->value + 5);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->name, "Py_FinalizeEx");
    EXPECT_EQ(hit->value, function->value);
}

// The one-pass answers for a stack's addresses must be the sorted index's,
// aliases and gaps between functions included: compare both on addresses
// spread over the whole text of real binaries.
TEST(ElfImage, SymbolizeAllScansTheTablesAsTheIndexAnswers)
{
    std::vector<std::string> paths = {kPython};
    if (std::string libpython = pyenvLibpython(); !libpython.empty()) paths.push_back(libpython);
    for (const std::string& path : paths) {
        SCOPED_TRACE(path);
        auto scanned = ElfImage::open(path);
        auto indexed = ElfImage::open(path);
        const ElfSegment* text = nullptr;
        for (const ElfSegment& load : scanned->loadSegments())
            if (load.executable) text = &load;
        ASSERT_NE(text, nullptr);
        std::vector<std::uint64_t> addresses;
        for (std::uint64_t i = 0; i < 50; ++i) addresses.push_back(text->vaddr + text->memsz / 50 * i + i);
        for (const char* name : {"Py_FinalizeEx", "PyObject_Call", "main"}) {
            if (auto symbol = scanned->findSymbol(name)) {
                for (std::uint64_t at : {symbol->value - 1, symbol->value, symbol->value + symbol->size - 1,
                                         symbol->value + symbol->size})
                    addresses.push_back(at);
            }
        }
        addresses.push_back(addresses.front());   // repeated addresses are answered in place
        ASSERT_LE(addresses.size(), ElfImage::kAddressesPerScan);

        for (unsigned scan = 0; scan < ElfImage::kScansBeforeIndexing; ++scan)
            indexed->symbolizeAll(std::span(addresses).first(1));   // past these, the index answers
        const auto byScan = scanned->symbolizeAll(addresses);
        const auto byIndex = indexed->symbolizeAll(addresses);
        ASSERT_EQ(byScan.size(), addresses.size());
        std::size_t named = 0;
        for (std::size_t i = 0; i < addresses.size(); ++i) {
            SCOPED_TRACE(addresses[i]);
            ASSERT_EQ(byScan[i].has_value(), byIndex[i].has_value());
            if (!byScan[i]) continue;
            ++named;
            EXPECT_EQ(byScan[i]->name, byIndex[i]->name);
            EXPECT_EQ(byScan[i]->value, byIndex[i]->value);
            EXPECT_EQ(byScan[i]->size, byIndex[i]->size);
        }
        // Debian's python3.11 keeps only exported symbols: still, some names compared.
        EXPECT_GE(named, 10u);
    }
}

TEST(ElfImage, ReadVirtualReturnsFileBytesAndStopsAtBss)
{
    auto image = ElfImage::open(kPython);
    unsigned char magic[4] = {};
    const auto& loads = image->loadSegments();
    ASSERT_FALSE(loads.empty());
    ASSERT_EQ(image->readVirtual(loads.front().vaddr, magic, 4), 4u);
    EXPECT_EQ(magic[1], 'E');
    EXPECT_EQ(magic[3], 'F');

    auto bss = image->findSection(".bss");
    ASSERT_TRUE(bss);
    EXPECT_FALSE(bss->hasFileBytes);
    unsigned char byte;
    EXPECT_EQ(image->readVirtual(bss->address + bss->size - 1, &byte, 1), 0u);
}

TEST(ElfImage, PyenvLibpythonIsASharedObjectWithTheRuntime)
{
    const std::string path = pyenvLibpython();
    if (path.empty()) GTEST_SKIP() << "no pyenv 3.11.7 libpython on this machine";
    auto image = ElfImage::open(path);
    EXPECT_TRUE(image->isSharedObject());
    auto runtime = image->findSymbol("_PyRuntime");
    ASSERT_TRUE(runtime);
    EXPECT_TRUE(image->findSection(".PyRuntime"));
    // pyenv keeps .symtab: static functions are found too.
    auto symbol = image->findSymbol("_PyEval_EvalFrameDefault");
    ASSERT_TRUE(symbol);
    EXPECT_TRUE(image->buildId());
}

TEST(ElfImage, MissingFileAndNonElfAreBadInput)
{
    try {
        ElfImage::open("/nonexistent/python");
        FAIL() << "opened a missing file";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::BadInput);
        EXPECT_NE(std::string(error.what()).find("/nonexistent/python: "), std::string::npos);
    }
    const std::string text = testing::TempDir() + "/not-elf.txt";
    std::ofstream(text) << "this is not an ELF file\n";
    try {
        ElfImage::open(text);
        FAIL() << "opened a text file";
    } catch (const Error& error) {
        EXPECT_EQ(error.kind(), ErrorKind::BadInput);
        EXPECT_NE(std::string(error.what()).find("not an ELF file"), std::string::npos);
    }
}
