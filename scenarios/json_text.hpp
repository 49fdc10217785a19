// The hardened JSON reader of scenario text (files and --set values) and the
// safe rendering of user text in messages.
//
// Scenario text is refused, with a ScenarioError naming the key path where
// one is known, when it is larger than kMaxScenarioBytes, nests deeper than
// kMaxNestingDepth, repeats a key within one object, holds a number outside
// a double's range, or is not JSON (the lexer also refuses ill-formed
// UTF-8). What it returns is therefore shallow, valid UTF-8 and safe to
// dump. parse_scenario_text (scenario.hpp) is the public entry.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "scenarios/scenario.hpp"

namespace forksim {

constexpr std::size_t kMaxScenarioBytes = 16u << 20;  // 16 MiB: far above any real scenario
constexpr std::size_t kMaxNestingDepth = 64;          // the format itself needs 4

// The text is not JSON at all (as opposed to JSON the format refuses):
// --set falls back to reading such a value as a plain string.
class JsonSyntaxError : public ScenarioError {
 public:
  using ScenarioError::ScenarioError;
};

// parse_scenario_text with the key paths of errors prefixed by `key_prefix`
// ("workload" for --set workload={...}); with an empty prefix an error at
// the top names `origin`.
nlohmann::json parse_json_text(std::string_view text, const std::string& origin,
                               const std::string& key_prefix);

// Throws ScenarioError(key, reason) unless ok.
inline void require(bool ok, const std::string& key, const std::string& reason) {
  if (!ok) throw ScenarioError(key, reason);
}

// Refuses text of n bytes, at `key`, when it is larger than kMaxScenarioBytes.
void check_text_size(std::size_t n, const std::string& key);

bool is_valid_utf8(std::string_view s);

// User text made fit for a message: at most `max` bytes (cut on a character
// boundary, the full size said), control characters and bytes that are not
// UTF-8 written as \xNN. Never fails, whatever the bytes.
std::string printable(std::string_view s, std::size_t max = 40);

// printable(s) in double quotes.
std::string in_quotes(std::string_view s);

// "string \"abc\"", "number 8", "array": the type, and a scalar's value
// made printable. A structured value is never rendered: it may nest deeper
// than any recursion can go (a caller may build one without the reader).
std::string type_of(const nlohmann::json& v);

}  // namespace forksim
