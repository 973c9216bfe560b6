#include "batch/Signature.h"

#include <fmt/format.h>

namespace pyautopsy::batch {
namespace {

std::string stringAt(const nlohmann::json& object, const char* key)
{
    if (!object.is_object()) return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flagAt(const nlohmann::json& object, const char* key)
{
    auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

const nlohmann::json* chooseThread(const nlohmann::json& threads)
{
    if (!threads.is_array() || threads.empty()) return nullptr;
    for (const auto& thread : threads)
        if (thread.is_object() && flagAt(thread, "crashed")) return &thread;
    for (const auto& thread : threads)
        if (thread.is_object() && flagAt(thread, "main")) return &thread;
    return threads[0].is_object() ? &threads[0] : nullptr;
}

}  // namespace

SignatureInput signatureInputFromReport(const nlohmann::json& report)
{
    SignatureInput input;
    if (!report.is_object()) return input;
    if (auto findings = report.find("diagnoses"); findings != report.end() && findings->is_array() && !findings->empty()) {
        const std::string id = stringAt((*findings)[0], "id");
        if (!id.empty()) {
            input.findingId = id;
            input.findingSummary = stringAt((*findings)[0], "summary");
        }
    }
    if (auto target = report.find("target"); target != report.end() && target->is_object()) {
        if (auto signal = target->find("signal"); signal != target->end() && signal->is_object())
            input.signal = stringAt(*signal, "name");
    }
    const auto threads = report.find("threads");
    const nlohmann::json* thread = threads != report.end() ? chooseThread(*threads) : nullptr;
    if (thread == nullptr) return input;
    const auto frames = thread->find("frames");
    if (frames == thread->end() || !frames->is_array()) return input;
    for (const auto& frame : *frames) {
        if (input.frames.size() >= kSignatureFrames) break;
        if (!frame.is_object() || stringAt(frame, "kind") != "python") continue;
        SignatureFrame f{stringAt(frame, "function"), stringAt(frame, "file"), std::nullopt};
        if (auto line = frame.find("line"); line != frame.end() && line->is_number_integer()) f.line = line->get<int>();
        input.frames.push_back(std::move(f));
    }
    return input;
}

std::string normaliseFile(const std::string& file)
{
    // Pseudo-files ("<string>", "<frozen ...>") may contain slashes; keep them whole.
    if (file.empty() || file.front() == '<') return file;
    const auto slash = file.find_last_of('/');
    return slash == std::string::npos ? file : file.substr(slash + 1);
}

std::string normaliseFrame(const SignatureFrame& frame)
{
    const std::string function = frame.function.empty() ? "?" : frame.function;
    const std::string line = frame.line ? std::to_string(*frame.line) : "?";
    return fmt::format("{} ({}:{})", function, normaliseFile(frame.file), line);
}

Signature makeSignature(const SignatureInput& input)
{
    Signature signature;
    signature.findingId = input.findingId.value_or(kNoDiagnosis);
    signature.findingSummary = input.findingSummary;
    signature.signal = input.signal;
    for (const auto& frame : input.frames) {
        if (signature.frames.size() >= kSignatureFrames) break;
        signature.frames.push_back(normaliseFrame(frame));
    }
    signature.key = signature.findingId + "|" + (signature.signal.empty() ? "?" : signature.signal) + "|";
    if (signature.frames.empty()) signature.key += "<no python frames>";
    for (std::size_t i = 0; i < signature.frames.size(); ++i)
        signature.key += (i ? ";" : "") + signature.frames[i];
    return signature;
}

}  // namespace pyautopsy::batch
