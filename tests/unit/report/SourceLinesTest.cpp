#include "report/SourceLines.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

namespace pyautopsy::report {
namespace {

// A file in a private directory, removed with it.
class TempFile {
public:
    explicit TempFile(const std::string& bytes)
    {
        char pattern[] = "/tmp/pyautopsy-source-XXXXXX";
        m_dir = mkdtemp(pattern);
        m_path = m_dir + "/source.py";
        std::ofstream(m_path, std::ios::binary) << bytes;
    }
    ~TempFile()
    {
        std::remove(m_path.c_str());
        rmdir(m_dir.c_str());
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_dir;
    std::string m_path;
};

TEST(DeclaredEncoding, Pep263OnTheFirstTwoLines)
{
    EXPECT_EQ(declaredEncoding("x = 1\n"), "utf-8");
    EXPECT_EQ(declaredEncoding("# -*- coding: latin-1 -*-\nx = 1\n"), "iso-8859-1");
    EXPECT_EQ(declaredEncoding("#!/usr/bin/python\n# vim: set fileencoding=cp1252 :\n"), "cp1252");
    EXPECT_EQ(declaredEncoding("# coding=UTF_8\n"), "utf-8");
    EXPECT_EQ(declaredEncoding("# coding: iso_8859_1\n"), "iso-8859-1");
    // Only on a comment line, and the second line only below a comment or blank line.
    EXPECT_EQ(declaredEncoding("s = '# coding: latin-1'\n"), "utf-8");
    EXPECT_EQ(declaredEncoding("import os\n# coding: latin-1\n"), "utf-8");
    EXPECT_EQ(declaredEncoding("x = 1\ny = 2\n# coding: latin-1\n"), "utf-8");
}

TEST(SourceLine, DecodedStrippedAndBounded)
{
    TempFile file("# -*- coding: latin-1 -*-\n\n    label = 'caf\xe9'  \r\n");
    auto line = sourceLine(file.path(), 3, std::nullopt);
    ASSERT_TRUE(line);
    EXPECT_EQ(line->text, "label = 'caf\u00e9'");
    EXPECT_FALSE(line->mayHaveChanged);
    EXPECT_FALSE(sourceLine(file.path(), 4, std::nullopt));
    EXPECT_FALSE(sourceLine(file.path(), 0, std::nullopt));
    EXPECT_FALSE(sourceLine("/nonexistent/file.py", 1, std::nullopt));
    EXPECT_FALSE(sourceLine("/dev/null", 1, std::nullopt));   // not a regular file
}

TEST(SourceLine, InvalidUtf8IsReplacedNotDropped)
{
    TempFile file("x = '\xff'\n");
    auto line = sourceLine(file.path(), 1, std::nullopt);
    ASSERT_TRUE(line);
    EXPECT_EQ(line->text, "x = '\ufffd'");
}

TEST(SourceLine, NewerThanTheReferenceMayHaveChanged)
{
    TempFile file("a = 1\n");
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    EXPECT_TRUE(sourceLine(file.path(), 1, now - 3600)->mayHaveChanged);
    EXPECT_FALSE(sourceLine(file.path(), 1, now + 3600)->mayHaveChanged);
}

// A report looks at each file once; a debugger command, which has no scope,
// sees the file as it is now.
TEST(SourceLine, OneLookPerFileWhileAScopeExists)
{
    TempFile file("first = 1\n");
    auto rewrite = [&] { std::ofstream(file.path(), std::ios::binary | std::ios::trunc) << "second = 2\n"; };
    {
        const SourceCheckScope scope;
        EXPECT_EQ(sourceLine(file.path(), 1, std::nullopt)->text, "first = 1");
        rewrite();
        EXPECT_EQ(sourceLine(file.path(), 1, std::nullopt)->text, "first = 1");
    }
    EXPECT_EQ(sourceLine(file.path(), 1, std::nullopt)->text, "second = 2");
}

TEST(SourceReferenceTime, ProcessStartOrCoreTime)
{
    snapshot::TargetFacts self;
    self.kind = "process";
    self.pid = static_cast<int>(getpid());
    auto started = sourceReferenceTime(self);
    ASSERT_TRUE(started);
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    EXPECT_LE(*started, now + 1);
    EXPECT_GT(*started, now - 24 * 3600);   // this test started less than a day ago

    TempFile core("not really a core");
    snapshot::TargetFacts dumped;
    dumped.kind = "core";
    dumped.corePath = core.path();
    auto written = sourceReferenceTime(dumped);
    ASSERT_TRUE(written);
    EXPECT_NEAR(static_cast<double>(*written), static_cast<double>(now), 5.0);

    snapshot::TargetFacts unknown;
    unknown.kind = "core";
    EXPECT_FALSE(sourceReferenceTime(unknown));
}

}  // namespace
}  // namespace pyautopsy::report
