#include "driver/sweep_resume.hpp"

#include <algorithm>
#include <optional>

#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

using nlohmann::json;

namespace forksim {

json partial_log_header(const json& definition) {
  return {{"partial_log", 1}, {"definition", definition}};
}

namespace {

constexpr int kMaxLineDepth = 256;  // a point nests about a dozen levels

// A line's JSON, discarded when it is not JSON; hostile nesting is bad input.
json parse_line(const std::string& text, const std::string& where, std::size_t line) {
  auto too_deep = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxLineDepth)
      throw ScenarioError("-o", where + ": line " + std::to_string(line) + ": nested deeper than " +
                                    std::to_string(kMaxLineDepth) + " levels");
    return true;
  };
  return json::parse(text, too_deep, false);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Whether a line is a point of the plan as a sweep writes it.
std::string point_problem(const json& j, const SweepPlan& plan) {
  if (!j.is_object()) return "not a JSON object";
  if (!j.contains("index") || !j["index"].is_number_unsigned()) return "no \"index\"";
  std::size_t i = j["index"].get<std::size_t>();
  if (i >= plan.total)
    return "index " + std::to_string(i) + " is past the sweep's " + std::to_string(plan.total) + " points";
  const std::optional<std::size_t> at = position_of(plan, i);
  if (!at) return "point " + std::to_string(i) + " is not one of this shard's points";
  if (j.value("overrides", json()) != json(plan.points[*at].overrides))
    return "its overrides are not those of point " + std::to_string(i);
  if (j.contains("failed")) {
    const json& f = j["failed"];
    if (!f.is_object() || !f.value("status", json()).is_number_integer() ||
        !f.value("message", json()).is_string())
      return "\"failed\" is not {\"status\", \"message\"}";
    return "";
  }
  if (!j.value("replications", json()).is_object() || !j.value("metrics", json()).is_object())
    return "neither a finished point (\"replications\", \"metrics\") nor a failed one";
  return "";
}

}  // namespace

LoggedSweep read_partial_log(const std::string& text, const std::string& name, const SweepPlan& plan,
                             const json& definition) {
  const std::string where = printable(name, 200);
  LoggedSweep log{SweepTable(plan.points.size())};
  const std::size_t eol = text.find('\n');
  if (eol == std::string::npos) {
    // Cut short inside the header: only a beginning of this sweep's own.
    if (partial_log_header(definition).dump().rfind(text, 0) != 0)
      throw ScenarioError("-o", where + " is not this sweep's partial log (line 1 is not its header); "
                                        "move it away or choose another -o");
    return log;
  }
  json header = parse_line(text.substr(0, eol), where, 1);
  if (!header.is_object() || header.value("partial_log", json()) != json(1) ||
      !header.value("definition", json()).is_object())
    throw ScenarioError("-o", where + ": line 1 is not a forksim partial log header; "
                                      "move it away or choose another -o");
  std::vector<std::string> diff = definition_differences(definition, "in this command", header["definition"], "in the log");
  if (!diff.empty())
    throw ScenarioError("-o", where + " holds the points of another sweep: its definition differs in " +
                                  join(diff) + "; rerun with the same command or choose another -o");
  log.has_header = true;
  log.valid_bytes = eol + 1;
  std::size_t at = eol + 1, line = 1;
  while (at < text.size()) {
    ++line;
    const std::size_t end = text.find('\n', at);
    const bool last = end == std::string::npos || end + 1 == text.size();
    json j = parse_line(text.substr(at, end == std::string::npos ? std::string::npos : end - at), where, line);
    if (end == std::string::npos || (last && j.is_discarded())) {
      log.dropped_last = true;  // a crash during its write
      break;
    }
    if (std::string why = j.is_discarded() ? "not JSON" : point_problem(j, plan); !why.empty())
      throw ScenarioError("-o", where + ": line " + std::to_string(line) + ": " + why +
                                    "; move it away or choose another -o");
    log.points.put(*position_of(plan, j["index"].get<std::size_t>()), j);
    at = end + 1;
    log.valid_bytes = at;
  }
  return log;
}

std::vector<std::size_t> points_to_run(const SweepTable& table, bool retry_failed) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < table.slots.size(); ++i)
    if (!table.has(i) || (retry_failed && table.failed(i))) v.push_back(i);
  return v;
}

}  // namespace forksim
