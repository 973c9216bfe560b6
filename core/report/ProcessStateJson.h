// ProcessStateJson: the JSON form of the runtime, per-interpreter and
// per-thread state of snapshot/ProcessState.h ("runtime", interpreters[]'s
// "gc"/"atexit"/..., threads[]'s "trace"/"profile"); documented key by key
// in docs/json-schema.md. JsonReport places these objects.
#pragma once

#include "snapshot/ProcessState.h"

#include <nlohmann/json.hpp>

namespace pyautopsy::report {

nlohmann::json runtimeStateJson(const snapshot::RuntimeState& state);
// Adds this interpreter's keys to `interp` (an object).
void addInterpreterStateJson(nlohmann::json& interp, const snapshot::InterpreterRuntimeState& state);
// Adds "trace" and "profile" to `thread` (an object).
void addThreadHooksJson(nlohmann::json& thread, const snapshot::ThreadHooks& hooks);

const char* atexitStatusName(snapshot::AtexitStatus status);

}  // namespace pyautopsy::report
