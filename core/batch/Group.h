// Group: processes that failed the same way (equal Signature.h keys): the
// crashes of a batch's cores, or the hung processes of a live tree.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pyautopsy::batch {

// Members whose Signature.h key is equal: "the same crash" (or hang).
struct Group {
    std::string signature;
    std::string findingId;               // the first finding's id, or kNoDiagnosis
    std::string findingSummary;          // its one-sentence summary (of the first member's report)
    std::string signal;                  // "SIGABRT", or "" when unknown
    std::vector<std::string> topFrames;  // normalised "function (file:line)", innermost first
    std::vector<std::size_t> members;    // indexes into BatchResult::cores (TreeResult::processes for a hang), in order
};

}  // namespace pyautopsy::batch
