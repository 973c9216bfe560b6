// JsonValue: how the report's JSON writes a value that may be unknown.
//
// Unknown is null, never a placeholder (docs/json-schema.md), in every
// section of the document.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

namespace pyautopsy::report {

template <typename T>
nlohmann::json orNull(const std::optional<T>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace pyautopsy::report
