// The exported C functions of pyautopsy_capi.h. Every entry point funnels its
// work through guarded(), which turns each C++ exception into a status and a
// message: nothing thrown below may unwind into a C or Python caller.
#include "pyautopsy_capi.h"

#include "CallbackTarget.h"
#include "engine/Engine.h"
#include "report/AsyncioText.h"
#include "report/GreenletText.h"
#include "report/DiagnosisReport.h"
#include "report/JsonReport.h"
#include "report/JsonValue.h"
#include "report/NameLookup.h"
#include "report/ProcessStateText.h"
#include "report/TextReport.h"
#include "support/Error.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

struct pyautopsy_report {
    pyautopsy::snapshot::Snapshot snapshot;     // what the options asked to show
    pyautopsy::diagnosis::Diagnosis diagnosis;  // made from all the evidence, as the CLI's
};

namespace {

using namespace pyautopsy;

pyautopsy_status statusOf(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Usage: return PYAUTOPSY_ERROR_USAGE;
    case ErrorKind::BadInput: return PYAUTOPSY_ERROR_BAD_INPUT;
    case ErrorKind::NoRuntime: return PYAUTOPSY_ERROR_NO_RUNTIME;
    case ErrorKind::Unsupported: return PYAUTOPSY_ERROR_UNSUPPORTED;
    case ErrorKind::System: return PYAUTOPSY_ERROR_SYSTEM;
    }
    return PYAUTOPSY_ERROR_INTERNAL;
}

// A malloc'd copy, so that C callers may free it the same way on any allocator.
char* duplicate(const std::string& text)
{
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, text.c_str(), text.size() + 1);
    return copy;
}

void setError(char** errorOut, const std::string& message)
{
    if (errorOut == nullptr) return;
    *errorOut = nullptr;
    char* copy = static_cast<char*>(std::malloc(message.size() + 1));
    if (copy == nullptr) return;  // out of memory: the status alone must do
    std::memcpy(copy, message.c_str(), message.size() + 1);
    *errorOut = copy;
}

struct ArgumentError {
    std::string message;
};

template <typename F>
pyautopsy_status guarded(char** errorOut, F&& body) noexcept
{
    if (errorOut != nullptr) *errorOut = nullptr;
    try {
        body();
        return PYAUTOPSY_OK;
    } catch (const ArgumentError& e) {
        setError(errorOut, e.message);
        return PYAUTOPSY_ERROR_ARGUMENT;
    } catch (const Error& e) {
        setError(errorOut, e.what());
        return statusOf(e.kind());
    } catch (const std::bad_alloc&) {
        setError(errorOut, "internal error: out of memory");
        return PYAUTOPSY_ERROR_INTERNAL;
    } catch (const std::exception& e) {
        setError(errorOut, std::string("internal error: ") + e.what());
        return PYAUTOPSY_ERROR_INTERNAL;
    } catch (...) {
        setError(errorOut, "internal error: unknown exception");
        return PYAUTOPSY_ERROR_INTERNAL;
    }
}

void require(bool condition, const char* message)
{
    if (!condition) throw ArgumentError{message};
}

// The fields of version 2's struct, which callers written for it still pass.
constexpr std::size_t kTextOptionsSizeV2 = offsetof(pyautopsy_text_options, source);

report::TextOptions textOptions(const pyautopsy_report* report, const pyautopsy_text_options* in)
{
    report::TextOptions options;
    options.source = false;
    if (in != nullptr) {
        require(in->size >= kTextOptionsSizeV2, "pyautopsy_text_options.size is too small");
        options.color = in->color != 0;
        options.mostRecentLast = in->most_recent_last != 0;
        if (in->size >= sizeof(pyautopsy_text_options)) {
            options.source = in->source != 0;
            options.firstFrame = in->first_frame;
        }
    }
    if (report != nullptr && options.source) options = report::withSourceReference(options, report->snapshot);
    return options;
}

const snapshot::Thread& threadAt(const pyautopsy_report* report, std::size_t thread)
{
    require(report != nullptr, "report is NULL");
    require(thread < report->snapshot.threads.size(), "thread index out of range");
    return report->snapshot.threads[thread];
}

void setOut(char** out, const std::string& text)
{
    require(out != nullptr, "out is NULL");
    *out = duplicate(text);
}

}  // namespace

extern "C" {

uint32_t pyautopsy_capi_version(void) { return PYAUTOPSY_CAPI_VERSION; }

const char* pyautopsy_native_role(const char* symbol)
{
    if (symbol == nullptr) return "";
    // nativeRoleName returns views of string literals: NUL-terminated, static.
    return pyautopsy::report::nativeRoleName(pyautopsy::engine::nativeRole(symbol)).data();
}

pyautopsy_status pyautopsy_analyze(const pyautopsy_callbacks* callbacks, const pyautopsy_options* options,
                                   pyautopsy_report** reportOut, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(callbacks != nullptr, "callbacks is NULL");
        require(reportOut != nullptr, "report_out is NULL");
        *reportOut = nullptr;
        engine::AnalysisOptions analysis;
        if (options != nullptr) {
            require(options->size >= offsetof(pyautopsy_options, namespaces), "pyautopsy_options.size is too small");
            analysis.snapshot.locals = options->locals != 0;
            analysis.snapshot.native = options->native != 0;
            if (options->size >= sizeof(pyautopsy_options)) analysis.snapshot.namespaces = options->namespaces != 0;
        }
        capi::CallbackTarget target(*callbacks);
        auto result = std::make_unique<pyautopsy_report>();
        engine::Report analysed = engine::analyzeAndDiagnose(target, analysis);
        result->snapshot = std::move(analysed.snapshot);
        result->diagnosis = std::move(analysed.diagnosis);
        result->snapshot.target.corePath = target.corePath();
        *reportOut = result.release();
    });
}

void pyautopsy_report_free(pyautopsy_report* report) { delete report; }

void pyautopsy_string_free(char* text) { std::free(text); }

pyautopsy_status pyautopsy_report_json(const pyautopsy_report* report, int32_t indent, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::jsonText(report::toJson(report->snapshot, report->diagnosis), indent));
    });
}

pyautopsy_status pyautopsy_report_text(const pyautopsy_report* report, const pyautopsy_text_options* options,
                                       char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatSnapshot(report->snapshot, report->diagnosis, textOptions(report, options)));
    });
}

pyautopsy_status pyautopsy_report_process_text(const pyautopsy_report* report,
                                               const pyautopsy_text_options* options, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatProcessHeader(report->snapshot, textOptions(report, options)));
    });
}

pyautopsy_status pyautopsy_report_state_text(const pyautopsy_report* report, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatProcessState(report->snapshot));
    });
}

pyautopsy_status pyautopsy_report_diagnosis_text(const pyautopsy_report* report, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatDiagnosis(report->diagnosis));
    });
}

pyautopsy_status pyautopsy_report_asyncio_text(const pyautopsy_report* report,
                                               const pyautopsy_text_options* options, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatAsyncio(report->snapshot, textOptions(report, options)));
    });
}

pyautopsy_status pyautopsy_report_greenlets_text(const pyautopsy_report* report,
                                                 const pyautopsy_text_options* options, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        require(report != nullptr, "report is NULL");
        setOut(out, report::formatGreenletReport(report->snapshot, textOptions(report, options)));
    });
}

pyautopsy_status pyautopsy_report_thread_text(const pyautopsy_report* report, size_t thread,
                                              const pyautopsy_text_options* options, char** out, char** errorOut)
{
    return guarded(errorOut, [&] { setOut(out, report::formatThread(threadAt(report, thread), textOptions(report, options))); });
}

pyautopsy_status pyautopsy_report_thread_header_text(const pyautopsy_report* report, size_t thread,
                                                     const pyautopsy_text_options* options, char** out,
                                                     char** errorOut)
{
    return guarded(errorOut,
                   [&] { setOut(out, report::formatThreadHeader(threadAt(report, thread), textOptions(report, options))); });
}

pyautopsy_status pyautopsy_report_frame_text(const pyautopsy_report* report, size_t thread, size_t frame,
                                             const pyautopsy_text_options* options, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        const auto& t = threadAt(report, thread);
        require(frame < t.frames.size(), "frame index out of range");
        setOut(out, report::formatFrame(t.frames[frame], textOptions(report, options)));
    });
}

pyautopsy_status pyautopsy_report_name_text(const pyautopsy_report* report, size_t thread, size_t frame,
                                           const char* name, char** out, char** errorOut)
{
    return guarded(errorOut, [&] {
        const auto& t = threadAt(report, thread);
        require(frame < t.frames.size(), "frame index out of range");
        require(name != nullptr, "name is NULL");
        setOut(out, report::formatNameLookup(name, report::lookupName(report->snapshot, t.frames[frame], name)));
    });
}

pyautopsy_status pyautopsy_report_frame_names_text(const pyautopsy_report* report, size_t thread, size_t frame,
                                                   const pyautopsy_text_options* options, char** out,
                                                   char** errorOut)
{
    return guarded(errorOut, [&] {
        const auto& t = threadAt(report, thread);
        require(frame < t.frames.size(), "frame index out of range");
        setOut(out, report::formatFrameNames(report->snapshot, t.frames[frame], textOptions(report, options)));
    });
}

}  // extern "C"
