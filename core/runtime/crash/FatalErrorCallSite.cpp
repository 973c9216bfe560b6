#include "runtime/crash/FatalErrorCallSite.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pyautopsy::runtime {
namespace {

// x86_64 register numbers in ModRM.reg / the mov-imm32 opcode.
constexpr int kRdx = 2;
constexpr int kRsi = 6;
constexpr int kRdi = 7;
constexpr std::size_t kLookBack = 48;   // bytes before the call searched for argument loads
constexpr std::size_t kMaxMessage = 512;

// A literal argument: a printable NUL-terminated string inside a mapped module.
std::optional<std::string> literalAt(const target::Memory& memory, const target::ModuleIndex& modules,
                                     std::uint64_t address)
{
    if (modules.moduleAt(address) == nullptr) return std::nullopt;
    std::string text = memory.readCString(address, kMaxMessage);
    if (text.empty()) return std::nullopt;
    for (unsigned char c : text)
        if (c < 0x20 && c != '\n' && c != '\t') return std::nullopt;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

// The string literals loaded into rdi, rsi and rdx by the instructions right
// before the call that returns to `returnAddress` (index: register number).
std::array<std::optional<std::string>, 8> literalArguments(const target::Memory& memory,
                                                           const target::ModuleIndex& modules,
                                                           std::uint64_t returnAddress, std::string& why)
{
    std::array<std::optional<std::string>, 8> args;
    const std::uint64_t start = returnAddress - 5 - kLookBack;
    std::vector<std::uint8_t> code(kLookBack + 5);
    if (memory.readSome(start, code.data(), code.size()) != code.size()) {
        why = fmt::format("the code before {:#x} is not readable", returnAddress);
        return args;
    }
    if (code[kLookBack] != 0xe8) {
        why = fmt::format("the caller does not reach it through a direct call at {:#x}", returnAddress - 5);
        return args;
    }
    std::array<std::size_t, 8> found{};     // position + 1 of the nearest load per register
    for (std::size_t p = 0; p < kLookBack; ++p) {
        const std::uint8_t* b = code.data() + p;
        // lea rel32(%rip), %reg  (REX.W 8D /r, mod 00, rm 101)
        if (p + 7 <= kLookBack && b[0] == 0x48 && b[1] == 0x8d && (b[2] & 0xc7) == 0x05) {
            int reg = (b[2] >> 3) & 7;
            std::int32_t rel = static_cast<std::int32_t>(b[3] | b[4] << 8 | b[5] << 16 | static_cast<std::uint32_t>(b[6]) << 24);
            auto text = literalAt(memory, modules, start + p + 7 + static_cast<std::uint64_t>(static_cast<std::int64_t>(rel)));
            if (text && p + 1 > found[reg]) {
                args[reg] = text;
                found[reg] = p + 1;
            }
        }
        // mov $imm32, %e<reg>  (B8+r id): non-PIE code addresses fit in 32 bits
        if (p + 5 <= kLookBack && b[0] >= 0xb8 && b[0] <= 0xbf) {
            int reg = b[0] - 0xb8;
            std::uint32_t imm = b[1] | b[2] << 8 | b[3] << 16 | static_cast<std::uint32_t>(b[4]) << 24;
            auto text = literalAt(memory, modules, imm);
            if (text && p + 1 > found[reg]) {
                args[reg] = text;
                found[reg] = p + 1;
            }
        }
    }
    return args;
}

}  // namespace

bool isFatalErrorFrame(const snapshot::Frame& frame)
{
    using snapshot::NativeRole;
    return frame.role == NativeRole::FatalError || frame.role == NativeRole::RefcountFatal ||
           frame.role == NativeRole::NegativeRefcount;
}

std::optional<snapshot::FatalErrorCall> readFatalErrorCall(const target::Memory& memory,
                                                           const target::ModuleIndex& modules,
                                                           const snapshot::Thread& crashed)
{
    std::vector<const snapshot::Frame*> native;
    for (const auto& frame : crashed.frames)
        if (frame.kind == snapshot::FrameKind::Native) native.push_back(&frame);
    std::size_t first = 0;
    while (first < native.size() && !isFatalErrorFrame(*native[first])) ++first;
    if (first == native.size()) return std::nullopt;
    std::size_t entry = first;
    while (entry + 1 < native.size() && isFatalErrorFrame(*native[entry + 1])) ++entry;

    snapshot::FatalErrorCall call;
    call.function = std::string(snapshot::baseSymbol(native[entry]->function));
    if (entry + 1 >= native.size() || !native[entry + 1]->address) {
        call.recoveredFrom = "not recovered: the caller's frame is not on the native stack";
        return call;
    }
    const snapshot::Frame& caller = *native[entry + 1];
    call.caller = std::string(snapshot::baseSymbol(caller.function));

    std::string why;
    auto args = literalArguments(memory, modules, *caller.address, why);
    // Which register carries what, per the function's C signature.
    const std::string& fn = call.function;
    if (fn == "Py_FatalError") {
        call.message = args[kRdi];
    } else if (fn == "_Py_FatalErrorFunc" || fn == "_Py_FatalRefcountErrorFunc" || fn == "_Py_FatalErrorFormat") {
        call.funcArgument = args[kRdi];
        call.message = args[kRsi];
    } else if (fn == "_PyObject_AssertFailed") {
        // (obj, expr, msg, file, line, function): the failed expression, or the message
        call.message = args[kRdx] ? args[kRdx] : args[kRsi];
    } else if (fn == "_Py_NegativeRefcount") {
        call.message = std::string("object has negative ref count");
        call.recoveredFrom = "the message _Py_NegativeRefcount always reports";
        return call;
    }
    // A stripped binary may not name the calling function.
    const std::string callerName = call.caller.empty() ? std::string("an unnamed function") : call.caller;
    if (!why.empty()) {
        call.recoveredFrom = "not recovered: " + why;
    } else if (!call.message) {
        call.recoveredFrom = fmt::format("not recovered: {} does not pass it as a string literal", callerName);
    } else if (call.funcArgument && *call.funcArgument == call.caller) {
        call.recoveredFrom = fmt::format("string literals loaded by the call in {} (confirmed: the __func__ "
                                         "argument names the calling function)", call.caller);
    } else {
        call.recoveredFrom = fmt::format("string literal loaded by the call in {} (decoded from its code, "
                                         "not cross-checked)", callerName);
    }
    return call;
}

}  // namespace pyautopsy::runtime
