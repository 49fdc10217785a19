// Reading a result's JSON by dotted key ("paths.fork1.latency_s.p99")
// without trusting its shape: a missing key or a value of another type is
// nullptr / nullopt / empty, never an exception. For the report pages,
// which draw what a (possibly partial or hand-edited) result has.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace forksim {

// The value at the dotted key, or nullptr.
const nlohmann::json* at_key(const nlohmann::json& j, const std::string& key);
// The number there, or nullopt.
std::optional<double> number_at(const nlohmann::json& j, const std::string& key);
// The object there, or an empty object.
const nlohmann::json& object_at(const nlohmann::json& j, const std::string& key);
// The string there, or "".
std::string text_at(const nlohmann::json& j, const std::string& key);

}  // namespace forksim
