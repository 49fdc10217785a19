// Comparing two forksim results, B against A, and the --fail-if rules
// checked on the comparison; pure functions of the results' JSON.
//
// A result is a run report, a replicated run ({"kind": "replicated"}, its
// "runs") or a sweep ({"kind": "sweep"}, its "points", each with "runs").
// A run is a replicated run of one. Each metric (numeric_metrics, stats.hpp)
// present in every run of both sides gets
//   {"a", "b"            the means over each side's runs,
//    "diff", "rel"       b - a and (b - a) / a (null when a is 0),
//    "test"              how its interval was made:
//                        "paired t (same seeds)" when A and B list the same
//                        seeds (common random numbers: run i of A and of B
//                        share a seed, so their difference cancels the noise
//                        they share), "Welch t" otherwise, or
//                        "none (single runs)" / "none (A has one run)" /
//                        "none (B has one run)" when a side has no spread,
//    "interval"          interval_json of b - a, or null,
//    "significant"       whether the interval excludes 0 (false without one)}.
// The comparison:
//   {"kind": "compare", "schema_version": 1, "level",
//    "a": {"kind", "runs", "seeds", "scenario_hash"}, "b": {...},
//    runs:   "test", "metrics": {name: above}, "not_compared": {name: why},
//    sweeps: "points": [{"overrides", "test", "metrics", "not_compared"}] for
//            the points of A that B has too (matched by "overrides"), and
//            "points_only_in_a", "points_only_in_b": [overrides...]}.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace forksim {

// A result that is not one, or two that cannot be compared; the message
// names the key at fault.
struct CompareError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "run", "replicated" or "sweep", having checked what compare and replay
// read of it (each run's seed, schema_version and scenario; a sweep point's
// overrides); throws CompareError naming the key at fault
// ("points[2].runs[0]: ...") when `result` is none of them.
std::string result_kind(const nlohmann::json& result);

// A sweep point's name from its overrides: "workload.parents=4, machine.ncpus=8".
std::string point_name(const nlohmann::json& overrides);

// Throws CompareError ("A: ..." or "B: ..." for a result that is not one).
nlohmann::json compare_results(const nlohmann::json& a, const nlohmann::json& b,
                               double level = 0.95);

// One --fail-if rule: "throughput.forks_per_s<-2%" is breached when B's
// throughput is significantly lower than A's and by more than 2%; without
// the % the threshold is absolute (in the metric's unit): "cpu.utilization>0.05".
struct FailIf {
  std::string text;
  std::string metric;
  char op = '<';          // '<' or '>'
  double threshold = 0;   // a fraction of a when relative
  bool relative = false;
};

// Throws CompareError naming the expression and what is wrong with it.
FailIf parse_fail_if(const std::string& text);

// Every metric name the comparison knows (compared, or not compared and
// why), for checking a rule's metric before it is evaluated.
std::vector<std::string> comparison_metric_names(const nlohmann::json& comparison);

// One message per breach of `rule` (per sweep point for sweeps), empty when
// none. A difference with an interval breaches when it is significant and
// its estimate lies beyond the threshold; one without (single runs) when
// the estimate does, which the message says. Throws CompareError when the
// metric is not compared (naming why) or unknown.
std::vector<std::string> fail_if_breaches(const nlohmann::json& comparison, const FailIf& rule);

}  // namespace forksim
