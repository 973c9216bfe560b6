// JsonValue: how the report's JSON writes values: an unknown one is null,
// never a placeholder (docs/json-schema.md), and text that is not UTF-8 is
// replaced, never fatal.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace pyautopsy::report {

template <typename T>
nlohmann::json orNull(const std::optional<T>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// The document as text. Strings come from the target (names, paths, values
// read while they changed, corrupt cores) and need not be UTF-8: an invalid
// byte becomes U+FFFD instead of ending the whole report. Every front end
// writes JSON through this; indent < 0 gives one line.
inline std::string jsonText(const nlohmann::json& document, int indent = 2)
{
    return document.dump(indent < 0 ? -1 : indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pyautopsy::report
