// Signature: the key that makes "the same crash in 30 workers" one group.
//
//   <finding id>|<signal>|<frame 1>;<frame 2>;...;<frame 5>
//
// - finding id: the id of the report's first diagnosis (report["diagnoses"][0]["id"],
//   core/diagnosis: the first finding is the best answer to "why did it die?"),
//   else kNoDiagnosis (no rule matched, or a report without diagnoses).
// - signal: the signal that killed the process ("SIGSEGV"), which separates a
//   fault from an abort in the same code while there is no diagnosis.
// - frames: the innermost kSignatureFrames Python frames of the crashed thread
//   (the thread that took the signal), else the main thread, else the first,
//   each as `function (basename:line)`.
// Normalisation, and why: the file is reduced to its basename so that the
// same code under different checkouts, virtualenvs or CI workspaces
// (/home/ci/build-17/src/app.py vs /tmp/x/src/app.py) matches. The function
// is co_name, not co_qualname, because 3.8-3.10 have no qualname and a
// signature must not depend on which interpreter ran. Line numbers are kept:
// two crashes in one function at different lines are usually different bugs,
// and lines are stable between the workers of one CI run (the same source).
// The price: the same scenario on two Python versions groups only when its
// top frames are in the program's own files; a frame in the standard library
// (threading.py, multiprocessing/...) has different lines per version.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace pyautopsy::batch {

inline constexpr const char* kNoDiagnosis = "no-diagnosis";
inline constexpr std::size_t kSignatureFrames = 5;

struct SignatureFrame {
    std::string function;
    std::string file;          // as the report gives it (a path)
    std::optional<int> line;
};

struct SignatureInput {
    std::optional<std::string> findingId;
    std::string findingSummary;          // that finding's one-sentence summary
    std::string signal;                  // "" when unknown
    std::vector<SignatureFrame> frames;  // the chosen thread's Python frames, innermost first
};

struct Signature {
    std::string key;
    std::string findingId;               // or kNoDiagnosis
    std::string findingSummary;          // "" without a finding
    std::string signal;
    std::vector<std::string> frames;     // normalised, innermost first
};

// Reads what the signature needs from a `pyautopsy core --json` document;
// missing or mistyped keys read as absent.
SignatureInput signatureInputFromReport(const nlohmann::json& report);

// "/a/b/app.py" -> "app.py"; "<frozen importlib._bootstrap>" stays as it is.
std::string normaliseFile(const std::string& file);
std::string normaliseFrame(const SignatureFrame& frame);

Signature makeSignature(const SignatureInput& input);

}  // namespace pyautopsy::batch
