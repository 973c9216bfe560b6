#include "Session.h"

#include "LldbTarget.h"

namespace pyautopsy::lldbplugin {

void Session::forgetIfMoved(lldb::SBProcess process)
{
    const std::uint32_t processId = process.GetUniqueID();
    const std::uint32_t stopId = process.GetStopID();
    if (m_valid && processId == m_processId && stopId == m_stopId) return;
    m_cache.clear();
    m_selected.clear();
    m_marks.clear();
    m_processId = processId;
    m_stopId = stopId;
    m_valid = true;
}

const Session::Cached& Session::analysis(lldb::SBTarget target, const engine::AnalysisOptions& options)
{
    LldbTarget::requireStoppedProcess(target);
    forgetIfMoved(target.GetProcess());
    for (const Cached& cached : m_cache) {
        if (cached.locals == options.snapshot.locals && cached.native == options.snapshot.native &&
            cached.namespaces == options.snapshot.namespaces)
            return cached;
    }
    LldbTarget adapter(target);
    Cached entry;
    entry.locals = options.snapshot.locals;
    entry.native = options.snapshot.native;
    entry.namespaces = options.snapshot.namespaces;
    entry.report = engine::analyzeAndDiagnose(adapter, options);
    if (adapter.isCore()) entry.report.snapshot.target.corePath = adapter.corePath();
    m_cache.push_back(std::move(entry));
    return m_cache.back();
}

const snapshot::Snapshot& Session::snapshot(lldb::SBTarget target, const engine::AnalysisOptions& options)
{
    return analysis(target, options).report.snapshot;
}

const diagnosis::Diagnosis& Session::diagnosis(lldb::SBTarget target, const engine::AnalysisOptions& options)
{
    return analysis(target, options).report.diagnosis;
}

std::size_t Session::selectedPythonFrame(std::int64_t tid) const
{
    auto it = m_selected.find(tid);
    return it != m_selected.end() ? it->second : 0;
}

void Session::selectPythonFrame(std::int64_t tid, std::size_t index) { m_selected[tid] = index; }

std::optional<Session::NativeMark> Session::nativeMark(std::int64_t tid) const
{
    auto it = m_marks.find(tid);
    return it != m_marks.end() ? std::optional<NativeMark>(it->second) : std::nullopt;
}

}  // namespace pyautopsy::lldbplugin
