// Session: what the plugin remembers between commands.
//
// One analysis per stop: the snapshot of the selected target's process is
// built by engine::analyze on first use and reused until the process runs
// again (its stop id changes) or another process is selected, so py-up,
// py-down, py-list and py-print after a py-bt cost nothing. Each distinct set
// of engine options (locals, native frames) gets its own cached snapshot.
// The selected Python frame of each thread lives here too, and resets with
// the stop. Not thread-safe by itself: the plugin's commands take its lock.
#pragma once

#include "engine/Engine.h"
#include "snapshot/Snapshot.h"

#include <lldb/API/LLDB.h>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace pyautopsy::lldbplugin {

class Session {
public:
    // The snapshot of `target`'s process as it is now. Throws pyautopsy::Error
    // when there is no stopped process or no readable CPython in it.
    const snapshot::Snapshot& snapshot(lldb::SBTarget target, const engine::AnalysisOptions& options);
    // Its diagnosis, made from all the evidence whatever `options` shows (as the CLI's).
    const diagnosis::Diagnosis& diagnosis(lldb::SBTarget target, const engine::AnalysisOptions& options);

    // Index (0 = innermost) of the Python frame py-up/py-down/py-list work on
    // in the thread with kernel id `tid`; valid for the last snapshot's stop.
    std::size_t selectedPythonFrame(std::int64_t tid) const;
    void selectPythonFrame(std::int64_t tid, std::size_t index);

    // LLDB's selected frame of thread `tid` when its Python frame was last
    // set: another one means the user moved with LLDB's own up/down/frame.
    struct NativeMark {
        std::uint32_t index = 0;
        lldb::addr_t cfa = 0;
        lldb::addr_t pc = 0;
        bool operator==(const NativeMark&) const = default;
    };
    std::optional<NativeMark> nativeMark(std::int64_t tid) const;
    void setNativeMark(std::int64_t tid, const NativeMark& mark) { m_marks[tid] = mark; }

    std::mutex& lock() { return m_lock; }

private:
    struct Cached {
        bool locals = false;
        bool native = false;
        bool namespaces = false;
        engine::Report report;
    };
    const Cached& analysis(lldb::SBTarget target, const engine::AnalysisOptions& options);

    void forgetIfMoved(lldb::SBProcess process);

    std::mutex m_lock;
    std::uint32_t m_processId = 0;   // SBProcess::GetUniqueID of the cached stop
    std::uint32_t m_stopId = 0;
    bool m_valid = false;
    std::deque<Cached> m_cache;   // a deque: a snapshot handed out stays put while another is made
    std::map<std::int64_t, std::size_t> m_selected;
    std::map<std::int64_t, NativeMark> m_marks;
};

}  // namespace pyautopsy::lldbplugin
