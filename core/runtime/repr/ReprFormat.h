// ReprFormat: Python's repr() of scalar values, computed from C++ values.
//
// Pure functions, no target access, so every rule can be unit-tested: the
// shortest round-trip float repr with Python's switch to exponent form, the
// complex repr's parentheses and signs, str and bytes quoting and escaping,
// arbitrary-precision int to decimal, and the truncation marker.
//
// Where this can differ from CPython: str printability (what repr() leaves
// unescaped) follows a built-in list of the non-printable Unicode ranges
// (controls, format characters, separators, surrogates, private use,
// noncharacters); code points unassigned in CPython's Unicode database are
// printed as they are here, where CPython escapes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pyautopsy::runtime::repr {

// repr(float): "1.0", "0.1", "1e+16", "1.5e-07", "-0.0", "inf", "nan".
std::string formatFloat(double value);

// repr(complex): "(1+2j)", "2j", "(-0-1j)", "(1+nanj)".
std::string formatComplex(double real, double imag);

// repr(int) of sign and magnitude given as 30-bit digits, least significant first.
std::string formatInt(bool negative, const std::vector<std::uint32_t>& digits);

// repr(str) of the code points `text`. If `truncated` (text is only the start
// of the string) the result is the start of the repr and ends with the marker
// instead of the closing quote; the quote is chosen from the part read.
std::string formatStr(const std::u32string& text, bool truncated = false);

// repr(bytes); `truncated` as for formatStr.
std::string formatBytes(const std::vector<std::uint8_t>& data, bool truncated = false);

// Whether str's repr() shows `cp` as it is (see the header note).
bool isPrintable(char32_t cp);

// UTF-8 encoding of one code point (surrogates are encoded as such, 3 bytes,
// because repr() escapes them before they get here).
void appendUtf8(std::string& out, char32_t cp);

// The marker every truncated repr ends with.
inline constexpr const char* kTruncationMarker = "...";

// If `text` (UTF-8) is longer than `maxChars` characters, cuts it on a
// character boundary so that, with kTruncationMarker appended, it is exactly
// `maxChars` characters long: the marker is always visible within the limit.
void truncate(std::string& text, std::size_t maxChars);

}  // namespace pyautopsy::runtime::repr
