#include "batch/formats/JUnitReport.h"

#include "batch/formats/BatchText.h"
#include "batch/formats/TreeReport.h"

#include <fmt/format.h>

namespace pyautopsy::batch {

std::string xmlEscape(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t':
        case '\n':
        case '\r': out += static_cast<char>(c); break;
        default:
            if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
            else out += static_cast<char>(c);
        }
    }
    return out;
}

std::string formatBatchJUnit(const BatchResult& result)
{
    const std::size_t hangGroups = result.hang ? result.hang->tree.groups.size() : 0;
    // A hang whose tree held no CPython still fails: one case says so.
    const bool bareHang = result.hang && hangGroups == 0;
    const std::size_t failures = result.groups.size() + hangGroups + (bareHang ? 1 : 0);
    const std::size_t errors = result.unreadableCount();
    const bool empty = failures == 0 && errors == 0;
    const std::size_t tests = empty ? 1 : failures + errors;

    std::string cases;
    if (result.hang) {
        const auto& tree = result.hang->tree;
        const std::string headline = hangHeadline(*result.hang);
        for (std::size_t g = 0; g < hangGroups; ++g) {
            const auto& group = tree.groups[g];
            double seconds = 0;
            std::string evidence = headline + "\n" + hangGroupEvidence(tree, group);
            for (auto member : group.members) {
                seconds += tree.processes[member].seconds;
                evidence += fmt::format("\n--- process {} ---\n{}", tree.processes[member].pid,
                                        tree.processes[member].text);
            }
            const std::string name = fmt::format("hang group {}: {} ({} process{})", g + 1, hangGroupTitle(group),
                                                 group.members.size(), group.members.size() == 1 ? "" : "es");
            cases += fmt::format("    <testcase classname=\"pyautopsy.hang\" name=\"{}\" time=\"{:.3f}\">\n"
                                 "      <failure type=\"{}\" message=\"{}\">{}</failure>\n"
                                 "    </testcase>\n",
                                 xmlEscape(name), seconds, xmlEscape(group.findingId),
                                 xmlEscape(headline + ": " + hangGroupTitle(group)), xmlEscape(evidence));
        }
        if (bareHang)
            cases += fmt::format("    <testcase classname=\"pyautopsy.hang\" name=\"hang\" time=\"0.000\">\n"
                                 "      <failure type=\"hang\" message=\"{0}\">{0}\n{1}</failure>\n"
                                 "    </testcase>\n",
                                 xmlEscape(headline), xmlEscape(formatTreeLines(tree)));
    }
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
        const auto& group = result.groups[g];
        double seconds = 0;
        for (auto member : group.members) seconds += result.cores[member].seconds;
        const std::string name = fmt::format("crash group {}: {} ({} core{})", g + 1, groupTitle(group),
                                             group.members.size(), group.members.size() == 1 ? "" : "s");
        std::string evidence = groupEvidence(result, group);
        for (auto member : group.members)
            for (const auto& dump : result.cores[member].logs)
                evidence += fmt::format("\nfrom {} line {}:\n{}", dump.logPath, dump.line, dump.text);
        cases += fmt::format("    <testcase classname=\"pyautopsy.crash\" name=\"{}\" time=\"{:.3f}\">\n"
                             "      <failure type=\"{}\" message=\"{}\">{}</failure>\n"
                             "    </testcase>\n",
                             xmlEscape(name), seconds, xmlEscape(group.findingId), xmlEscape(groupTitle(group)),
                             xmlEscape(evidence));
    }
    for (std::size_t i = 0; i < result.cores.size(); ++i) {
        if (result.analysed(i)) continue;
        const auto& core = result.cores[i];
        cases += fmt::format("    <testcase classname=\"pyautopsy.unreadable\" name=\"{}\" time=\"{:.3f}\">\n"
                             "      <error type=\"unreadable-core\" message=\"{}\">{}</error>\n"
                             "    </testcase>\n",
                             xmlEscape(core.path), core.seconds, xmlEscape(core.reason),
                             xmlEscape(core.path + ": " + core.reason));
    }
    if (empty)
        cases += "    <testcase classname=\"pyautopsy\" name=\"no core files found\" time=\"0.000\"/>\n";

    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<testsuites name=\"pyautopsy\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" time=\"{3:.3f}\">\n"
                       "  <testsuite name=\"pyautopsy\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" skipped=\"0\" "
                       "time=\"{3:.3f}\">\n"
                       "{4}"
                       "  </testsuite>\n"
                       "</testsuites>\n",
                       tests, failures, errors, result.seconds, cases);
}

}  // namespace pyautopsy::batch
