#include "target/ElfImage.h"

#include "support/Error.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
