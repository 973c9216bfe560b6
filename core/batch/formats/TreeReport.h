// TreeReport: a live process tree (`pyautopsy pid PID --tree`) as JSON and
// as text, also embedded in `run --hang-timeout`'s batch formats.
//
// JSON: {"schema", "kind": "tree", "root", "seconds", "summary", "processes",
// "findings", "groups", "notes"}; each process carries its `pyautopsy pid PID
// --json` document unchanged under "report" (null unless analysed, with
// "reason"). Processes are referred to by index ("parent", "children",
// groups' "members"). Text: the tree first, then the findings that need
// several processes, then each analysed process's own report.
#pragma once

#include "batch/TreeResult.h"

#include <nlohmann/json.hpp>

#include <string>

namespace pyautopsy::batch {

inline constexpr int kTreeJsonSchema = 1;

nlohmann::json treeToJson(const TreeResult& tree);
nlohmann::json treeFindingJson(const TreeFinding& finding);

// "1234 python3 app.py [S] analysed, stopped 2.1 ms", indented one level per generation.
std::string formatTreeLines(const TreeResult& tree);
// The findings, each with its evidence and advice; "" when there are none.
std::string formatTreeFindings(const TreeResult& tree);
// "deadlock in f (app.py:3)", "hung in f (app.py:3)", "hung, no Python frames".
std::string hangGroupTitle(const Group& group);
// A hang group's evidence: diagnosis, its processes, top frames, the
// findings across processes that name them.
std::string hangGroupEvidence(const TreeResult& tree, const Group& group);
// Everything `pyautopsy pid PID --tree` prints.
std::string formatTreeText(const TreeResult& tree);

}  // namespace pyautopsy::batch
