#include "runtime/repr/ReprFormat.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

namespace pyautopsy::runtime::repr {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Shortest round-trip digits of a finite, non-zero |value|, and the position
// of the decimal point: value = 0.DIGITS x 10^decpt.
std::string shortestDigits(double value, int& decpt)
{
    std::array<char, 64> buf{};
    auto result = std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(value), std::chars_format::scientific);
    std::string digits;
    const char* p = buf.data();
    for (; p < result.ptr && *p != 'e'; ++p)
        if (*p != '.') digits += *p;
    int exponent = 0;
    if (p < result.ptr) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), result.ptr, exponent);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    decpt = exponent + 1;
    return digits;
}

// PyOS_double_to_string(value, 'r', 0, flags): `addDot0` as Py_DTSF_ADD_DOT_0,
// `forceSign` as Py_DTSF_SIGN.
std::string formatReal(double value, bool addDot0, bool forceSign)
{
    std::string out;
    if (std::isnan(value)) return forceSign ? "+nan" : "nan";   // repr() ignores a NaN's sign
    if (std::signbit(value))
        out += '-';
    else if (forceSign)
        out += '+';
    if (std::isinf(value)) return out + "inf";
    if (value == 0.0) return out + (addDot0 ? "0.0" : "0");

    int decpt = 0;
    std::string digits = shortestDigits(value, decpt);
    const int count = static_cast<int>(digits.size());
    // Python's 'r' style: exponent form outside 1e-4 <= |x| < 1e16.
    if (decpt <= -4 || decpt > 16) {
        out += digits[0];
        if (count > 1) out += '.' + digits.substr(1);
        int exponent = decpt - 1;
        out += exponent < 0 ? "e-" : "e+";
        std::string e = std::to_string(exponent < 0 ? -exponent : exponent);
        if (e.size() < 2) e.insert(0, "0");
        return out + e;
    }
    if (decpt <= 0) return out + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
    if (decpt < count) return out + digits.substr(0, static_cast<std::size_t>(decpt)) + '.' + digits.substr(static_cast<std::size_t>(decpt));
    out += digits + std::string(static_cast<std::size_t>(decpt - count), '0');
    return addDot0 ? out + ".0" : out;
}

void appendHexEscape(std::string& out, char prefix, std::uint32_t value, int width)
{
    out += '\\';
    out += prefix;
    for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xF];
}

// Whether `c` is the quote repr() uses for a text containing `hasSingle` / `hasDouble`.
char chooseQuote(bool hasSingle, bool hasDouble) { return hasSingle && !hasDouble ? '"' : '\''; }

// The escapes str and bytes reprs share: the quote, the backslash, \t \n \r.
// Returns whether `c` was one of them (and is now in `out`).
bool appendSharedEscape(std::string& out, char32_t c, char quote)
{
    switch (c) {
    case '\t': out += "\\t"; return true;
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\\': out += "\\\\"; return true;
    default:
        if (c != static_cast<char32_t>(quote)) return false;
        out += '\\';
        out += quote;
        return true;
    }
}

}  // namespace

std::string formatFloat(double value) { return formatReal(value, true, false); }

std::string formatComplex(double real, double imag)
{
    // complex_repr: a real part of +0.0 is left out, and so are the parentheses.
    if (real == 0.0 && !std::signbit(real)) return formatReal(imag, false, false) + "j";
    return "(" + formatReal(real, false, false) + formatReal(imag, false, true) + "j)";
}

std::string formatInt(bool negative, const std::vector<std::uint32_t>& digits)
{
    // Repeated division of the base-2^30 magnitude by 10^9 yields base-10^9 limbs.
    std::vector<std::uint32_t> magnitude(digits.rbegin(), digits.rend());   // most significant first
    while (!magnitude.empty() && (magnitude.front() & 0x3FFFFFFF) == 0) magnitude.erase(magnitude.begin());
    if (magnitude.empty()) return "0";
    std::vector<std::uint32_t> limbs;   // least significant first
    while (!magnitude.empty()) {
        std::uint64_t remainder = 0;
        for (auto& d : magnitude) {
            std::uint64_t current = (remainder << 30) | (d & 0x3FFFFFFF);
            d = static_cast<std::uint32_t>(current / 1000000000);
            remainder = current % 1000000000;
        }
        limbs.push_back(static_cast<std::uint32_t>(remainder));
        while (!magnitude.empty() && magnitude.front() == 0) magnitude.erase(magnitude.begin());
    }
    std::string out = negative ? "-" : "";
    out += std::to_string(limbs.back());
    for (std::size_t i = limbs.size() - 1; i-- > 0;) {
        std::string limb = std::to_string(limbs[i]);
        out += std::string(9 - limb.size(), '0') + limb;
    }
    return out;
}

bool isPrintable(char32_t cp)
{
    // Ranges CPython's repr() escapes: categories Cc, Cf, Cs, Co, Zl, Zp, Zs
    // (except the space) and the noncharacters (unassigned, Cn).
    static constexpr std::pair<char32_t, char32_t> kNonPrintable[] = {
        {0x0000, 0x001F},   {0x007F, 0x00A0},   {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
        {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x1680, 0x1680},
        {0x180E, 0x180E},   {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},   {0x2066, 0x206F},
        {0x3000, 0x3000},   {0xD800, 0xF8FF},   {0xFDD0, 0xFDEF},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},
        {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
        {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
    };
    if (cp > 0x10FFFF || (cp & 0xFFFE) == 0xFFFE) return false;
    for (const auto& [low, high] : kNonPrintable)
        if (cp >= low && cp <= high) return false;
    return true;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string formatStr(const std::u32string& text, bool truncated)
{
    bool hasSingle = false, hasDouble = false;
    for (char32_t c : text) {
        hasSingle |= c == '\'';
        hasDouble |= c == '"';
    }
    const char quote = chooseQuote(hasSingle, hasDouble);
    std::string out(1, quote);
    for (char32_t c : text) {
        if (appendSharedEscape(out, c, quote)) continue;
        if (c < 0x20 || c == 0x7F) {
            appendHexEscape(out, 'x', c, 2);
        } else if (c < 0x7F || isPrintable(c)) {
            appendUtf8(out, c);
        } else if (c <= 0xFF) {
            appendHexEscape(out, 'x', c, 2);
        } else if (c <= 0xFFFF) {
            appendHexEscape(out, 'u', c, 4);
        } else {
            appendHexEscape(out, 'U', c, 8);
        }
    }
    if (truncated) return out + kTruncationMarker;
    return out + quote;
}

std::string formatBytes(const std::vector<std::uint8_t>& data, bool truncated)
{
    bool hasSingle = false, hasDouble = false;
    for (std::uint8_t c : data) {
        hasSingle |= c == '\'';
        hasDouble |= c == '"';
    }
    const char quote = chooseQuote(hasSingle, hasDouble);
    std::string out = "b";
    out += quote;
    for (std::uint8_t c : data) {
        if (appendSharedEscape(out, c, quote)) continue;
        if (c < 0x20 || c >= 0x7F) {
            appendHexEscape(out, 'x', c, 2);
        } else {
            out += static_cast<char>(c);
        }
    }
    if (truncated) return out + kTruncationMarker;
    return out + quote;
}

void truncate(std::string& text, std::size_t maxChars)
{
    // Count characters (UTF-8 lead bytes), as len() of the printed value would.
    const std::size_t marker = std::char_traits<char>::length(kTruncationMarker);
    std::size_t chars = 0;
    std::size_t keepEnd = 0;   // byte offset after the last character that fits beside the marker
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;   // inside a character
        if (chars == maxChars - std::min(maxChars, marker)) keepEnd = i;
        if (++chars > maxChars) {
            text.resize(keepEnd);
            text += kTruncationMarker;
            return;
        }
    }
}

}  // namespace pyautopsy::runtime::repr
