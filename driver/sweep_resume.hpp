// Resuming a sweep from its partial log, `<out>.partial.jsonl`: line 1 is
// {"partial_log": 1, "definition": sweep_definition(...)}, each further
// line one finished or failed point (sweep_point_json) in the order they
// ended. A crash can cut the last line short: it is dropped and its point
// runs again. The last line for an index wins (a retried failure).
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/sweep.hpp"

namespace forksim {

nlohmann::json partial_log_header(const nlohmann::json& definition);

struct LoggedSweep {
  SweepTable points;            // by index, one per plan point
  std::size_t valid_bytes = 0;  // the text's length without a cut-short last line
  bool dropped_last = false;    // whether there was one
  bool has_header = false;      // false: cut short inside the header (nothing kept)
};

// Reads a log's text for this plan and definition. Throws ScenarioError
// naming -o, the log `name` and the line when the text is not this sweep's
// log: another definition (naming the fields that differ), a line that is
// not a point of the plan, a bad line before the last.
LoggedSweep read_partial_log(const std::string& text, const std::string& name, const SweepPlan& plan,
                             const nlohmann::json& definition);

// The indices still to run, ascending: those with no line, and with
// retry_failed those that failed.
std::vector<std::size_t> points_to_run(const SweepTable& table, bool retry_failed);

}  // namespace forksim
