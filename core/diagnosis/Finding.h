// Finding: one conclusion about why a process died or hangs, with the facts
// that support it.
//
// A rule (Rule.h) reads only a Snapshot and returns findings. Every finding
// carries evidence -- concrete facts of the snapshot, never an inference
// without one -- and advice a user can act on. Ids are stable and documented
// in docs/diagnoses.md; the JSON form is in docs/json-schema.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::diagnosis {

enum class Severity { Error, Warning, Info };   // in the order findings are shown

const char* severityName(Severity severity);    // "error" | "warning" | "info"

// One fact from the snapshot. `kind` says what sort of fact it is (signal,
// native-frame, python-frame, object, refcount, thread, runtime, gc, atexit,
// trace-hook, lock, recursion, child); `text` states it for people.
struct Evidence {
    std::string kind;
    std::string text;
    std::optional<std::uint64_t> threadId;      // threading.get_ident() of the thread it is about
    std::optional<std::int64_t> nativeId;       // its TID
    std::optional<std::string> frame;           // "function (file:line)" or a native symbol
    std::optional<std::uint64_t> address;       // an object, a frame, a fault address
    std::optional<std::string> value;           // a refcount, a name, a limit, as text
};

struct Finding {
    std::string id;                             // "refcount-underflow", ...
    Severity severity = Severity::Info;
    std::string summary;                        // one sentence
    std::vector<Evidence> evidence;             // never empty
    std::string advice;
};

// A rule that could not decide because facts it needs are missing.
struct NotAnalysed {
    std::string rule;
    std::string reason;                         // what is missing and how to get it
};

struct Diagnosis {
    std::vector<Finding> findings;              // by severity, then rule priority
    std::vector<NotAnalysed> notAnalysed;
};

}  // namespace pyautopsy::diagnosis
