// Expected strings are what CPython 3.8-3.15's repr() prints for the same values.
#include "runtime/repr/ReprFormat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace pyautopsy::runtime::repr {
namespace {

TEST(FloatRepr, ShortestRoundTripWithPythonsExponentRule)
{
    EXPECT_EQ(formatFloat(1.0), "1.0");
    EXPECT_EQ(formatFloat(0.1), "0.1");
    EXPECT_EQ(formatFloat(1e16), "1e+16");
    EXPECT_EQ(formatFloat(1e15), "1000000000000000.0");
    EXPECT_EQ(formatFloat(9999999999999998.0), "9999999999999998.0");
    EXPECT_EQ(formatFloat(1.5e-07), "1.5e-07");
    EXPECT_EQ(formatFloat(0.0001), "0.0001");
    EXPECT_EQ(formatFloat(1e-05), "1e-05");
    EXPECT_EQ(formatFloat(123456789.123), "123456789.123");
    EXPECT_EQ(formatFloat(1e308), "1e+308");
    EXPECT_EQ(formatFloat(5e-324), "5e-324");
    EXPECT_EQ(formatFloat(2.5e100), "2.5e+100");
    EXPECT_EQ(formatFloat(-2.5), "-2.5");
    EXPECT_EQ(formatFloat(0.30000000000000004), "0.30000000000000004");
}

TEST(FloatRepr, ZerosInfinitiesAndNan)
{
    EXPECT_EQ(formatFloat(0.0), "0.0");
    EXPECT_EQ(formatFloat(-0.0), "-0.0");
    EXPECT_EQ(formatFloat(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(formatFloat(-std::numeric_limits<double>::infinity()), "-inf");
    EXPECT_EQ(formatFloat(std::nan("")), "nan");
    EXPECT_EQ(formatFloat(-std::nan("")), "nan");
}

TEST(ComplexRepr, ParenthesesAndSigns)
{
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(formatComplex(1, 2), "(1+2j)");
    EXPECT_EQ(formatComplex(0, 2), "2j");
    EXPECT_EQ(formatComplex(-0.0, -1), "(-0-1j)");
    EXPECT_EQ(formatComplex(0, 0), "0j");
    EXPECT_EQ(formatComplex(0, -0.0), "-0j");
    EXPECT_EQ(formatComplex(-0.0, 0), "(-0+0j)");
    EXPECT_EQ(formatComplex(-1.5, -0.0), "(-1.5-0j)");
    EXPECT_EQ(formatComplex(1, nan), "(1+nanj)");
    EXPECT_EQ(formatComplex(nan, 1), "(nan+1j)");
    EXPECT_EQ(formatComplex(0, nan), "nanj");
    EXPECT_EQ(formatComplex(1, -inf), "(1-infj)");
    EXPECT_EQ(formatComplex(2.5e20, -1e-7), "(2.5e+20-1e-07j)");
}

TEST(IntRepr, ArbitraryPrecision)
{
    EXPECT_EQ(formatInt(false, {}), "0");
    EXPECT_EQ(formatInt(true, {1}), "-1");
    EXPECT_EQ(formatInt(false, {0, 1}), "1073741824");                  // 2**30
    EXPECT_EQ(formatInt(false, {0, 0, 16}), "18446744073709551616");      // 2**64
    EXPECT_EQ(formatInt(true, {0, 0, 0, 1024}), "-1267650600228229401496703205376");   // -(2**100)
    EXPECT_EQ(formatInt(false, {1000000000 % (1u << 30)}), "1000000000");
    // 10**18: limbs with leading zeros inside the number must keep them.
    EXPECT_EQ(formatInt(false, {0xDE0B6B3A7640000ull & 0x3FFFFFFF, (0xDE0B6B3A7640000ull >> 30) & 0x3FFFFFFF}),
              "1000000000000000000");
}

TEST(StrRepr, QuotesAndEscapes)
{
    EXPECT_EQ(formatStr(U""), "''");
    EXPECT_EQ(formatStr(U"hello"), "'hello'");
    EXPECT_EQ(formatStr(U"it's"), "\"it's\"");
    EXPECT_EQ(formatStr(U"say \"hi\""), "'say \"hi\"'");
    EXPECT_EQ(formatStr(U"both ' and \""), "'both \\' and \"'");
    EXPECT_EQ(formatStr(U"tab\tnew\nline\r"), "'tab\\tnew\\nline\\r'");
    EXPECT_EQ(formatStr(std::u32string(U"\x00\x1f\x7f", 3)), "'\\x00\\x1f\\x7f'");
    EXPECT_EQ(formatStr(U"a\\b"), "'a\\\\b'");
}

TEST(StrRepr, NonAsciiKeptWhenPrintable)
{
    EXPECT_EQ(formatStr(U"caf\u00e9"), "'caf\u00e9'");
    EXPECT_EQ(formatStr(U"\u03a9\u2248\u4e2d\u6587"), "'\u03a9\u2248\u4e2d\u6587'");
    EXPECT_EQ(formatStr(U"\U0001F600\U0001D11E"), "'\U0001F600\U0001D11E'");
    EXPECT_EQ(formatStr(U"\u0080\u00a0\u00ad"), "'\\x80\\xa0\\xad'");
    EXPECT_EQ(formatStr(U"a\u200bb"), "'a\\u200bb'");
    EXPECT_EQ(formatStr(std::u32string(1, char32_t{0xD800})), "'\\ud800'");
    EXPECT_EQ(formatStr(U"\U000E0001"), "'\\U000e0001'");
    EXPECT_EQ(formatStr(U"\U0010FFFF"), "'\\U0010ffff'");
}

TEST(StrRepr, TruncatedStringEndsWithTheMarker)
{
    EXPECT_EQ(formatStr(U"abc", true), "'abc...");
}

TEST(BytesRepr, QuotesAndEscapes)
{
    EXPECT_EQ(formatBytes({}), "b''");
    EXPECT_EQ(formatBytes({'a', 'b', 'c'}), "b'abc'");
    EXPECT_EQ(formatBytes({'i', 't', '\'', 's'}), "b\"it's\"");
    EXPECT_EQ(formatBytes({0x00, 0xff, '\n', '\\'}), "b'\\x00\\xff\\n\\\\'");
    EXPECT_EQ(formatBytes({0x7f, 0x80, '\t'}), "b'\\x7f\\x80\\t'");
}

TEST(Truncate, CutsOnCharacterBoundariesAndMarks)
{
    std::string shortText = "[1, 2]";
    truncate(shortText, 10);
    EXPECT_EQ(shortText, "[1, 2]");
    std::string longText(20, 'x');
    truncate(longText, 10);
    EXPECT_EQ(longText, "xxxxxxx...");                // the marker counts: 10 characters in all
    std::string exact(10, 'x');
    truncate(exact, 10);
    EXPECT_EQ(exact, std::string(10, 'x'));
    std::string accented = "'\u00e9\u00e9\u00e9\u00e9\u00e9'";   // 7 characters, each é 2 bytes
    truncate(accented, 6);                                            // characters, not bytes
    EXPECT_EQ(accented, "'\u00e9\u00e9...");
}

}  // namespace
}  // namespace pyautopsy::runtime::repr
