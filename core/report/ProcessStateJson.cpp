#include "report/ProcessStateJson.h"

#include "report/JsonValue.h"

namespace pyautopsy::report {
namespace {

nlohmann::json gcJson(const snapshot::GcState& gc)
{
    nlohmann::json generations = nlohmann::json::array();
    for (const auto& g : gc.generations)
        generations.push_back({{"index", g.index}, {"count", orNull(g.count)}, {"threshold", orNull(g.threshold)}});
    return {{"kind", gc.kind.empty() ? nlohmann::json(nullptr) : nlohmann::json(gc.kind)},
            {"enabled", orNull(gc.enabled)},
            {"collecting", orNull(gc.collecting)},
            {"collecting_generation", orNull(gc.collectingGeneration)},
            {"collecting_frame", orNull(gc.collectingFrame)},
            {"collecting_function", orNull(gc.collectingFunction)},
            {"generations", std::move(generations)},
            {"notes", gc.notes}};
}

nlohmann::json atexitJson(const snapshot::AtexitState& atexit)
{
    nlohmann::json callbacks = nlohmann::json::array();
    for (const auto& cb : atexit.callbacks) {
        callbacks.push_back({{"address", cb.address},
                             {"kind", cb.kind},
                             {"qualname", orNull(cb.qualname)},
                             {"module", orNull(cb.module)},
                             {"arg_count", orNull(cb.argCount)},
                             {"kwarg_count", orNull(cb.kwargCount)}});
    }
    return {{"status", atexitStatusName(atexit.status)},
            {"status_reason", atexit.statusReason},
            {"callbacks", std::move(callbacks)},
            {"notes", atexit.notes}};
}

nlohmann::json hookJson(const std::optional<snapshot::TraceHook>& hook)
{
    if (!hook) return nullptr;
    return {{"function", hook->function},
            {"symbol", orNull(hook->symbol)},
            {"module", orNull(hook->module)},
            {"object", hook->object},
            {"object_type", orNull(hook->objectType)}};
}

}  // namespace

const char* atexitStatusName(snapshot::AtexitStatus status)
{
    switch (status) {
    case snapshot::AtexitStatus::None: return "none";
    case snapshot::AtexitStatus::Pending: return "pending";
    case snapshot::AtexitStatus::Calling: return "calling";
    case snapshot::AtexitStatus::Ran: return "ran";
    case snapshot::AtexitStatus::Unknown: break;
    }
    return "unknown";
}

nlohmann::json runtimeStateJson(const snapshot::RuntimeState& s)
{
    nlohmann::json singletons = nlohmann::json::array();
    for (const auto& o : s.singletons) {
        singletons.push_back({{"name", o.name},
                              {"address", orNull(o.address)},
                              {"raw", orNull(o.raw)},
                              {"refcount", orNull(o.refcount)},
                              {"immortal", o.refcount ? nlohmann::json(o.immortal) : nlohmann::json(nullptr)},
                              {"flags", orNull(o.flags)},
                              {"found_by", o.foundBy}});
    }
    return {{"initialized", orNull(s.initialized)},
            {"core_initialized", orNull(s.coreInitialized)},
            {"finalizing", orNull(s.finalizing)},
            {"finalizing_thread_state", orNull(s.finalizingThreadState)},
            {"finalizing_thread_id", orNull(s.finalizingThreadId)},
            {"finalizing_thread_id_from",
             s.finalizingThreadIdFrom.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.finalizingThreadIdFrom)},
            {"c_atexit_count", orNull(s.cAtexitCount)},
            {"immortal_objects", s.immortalObjects},
            {"singletons", std::move(singletons)},
            {"notes", s.notes}};
}

void addInterpreterStateJson(nlohmann::json& interp, const snapshot::InterpreterRuntimeState& s)
{
    interp["finalizing"] = orNull(s.finalizing);
    interp["finalizing_thread_state"] = orNull(s.finalizingThreadState);
    interp["finalizing_thread_id"] = orNull(s.finalizingThreadId);
    interp["modules_count"] = orNull(s.modulesCount);
    interp["recursion_limit"] = orNull(s.recursionLimit);
    interp["gc"] = s.gc ? gcJson(*s.gc) : nlohmann::json(nullptr);
    interp["atexit"] = s.atexit ? atexitJson(*s.atexit) : nlohmann::json(nullptr);
    if (s.monitoringKnown) {
        nlohmann::json tools = nlohmann::json::array();
        for (const auto& t : s.monitoringTools) tools.push_back({{"id", t.id}, {"name", t.name}});
        interp["monitoring_tools"] = std::move(tools);
    } else {
        interp["monitoring_tools"] = nullptr;
    }
    interp["state_notes"] = s.notes;
}

void addThreadHooksJson(nlohmann::json& thread, const snapshot::ThreadHooks& hooks)
{
    thread["trace"] = hookJson(hooks.trace);
    thread["profile"] = hookJson(hooks.profile);
}

}  // namespace pyautopsy::report
