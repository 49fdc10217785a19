// The highest load that meets an objective ("paths.fork1.latency_s.p99<=0.005")
// with 95% confidence, found between a sweep's points by adding
// replications and points (stochastic root-finding over a PointRunner).
//
// A point meets the objective when the whole Student-t interval of the
// metric's mean is on the objective's side of the bound, fails when the
// whole interval is on the other side, and is undecided otherwise (also
// with one replication: no interval). The objective gets harder as a load
// grows; a key that is a resource instead (more CPUs: the objective gets
// easier, told by more slack at the highest swept point than at the
// lowest) is searched as the load -x, so that the answer is the lowest
// value that meets it ("direction": "easier"). Below, for a load: Let L be the highest meeting load below the lowest
// failing one, F, U the lowest load above L that does not meet and V the
// highest below F that does not fail. Each round either adds replications
// to the undecided points between L and F (doubling each, at least
// min_replications, at most max_replications), or, when none can have
// more, runs a new point half-way across [L, U] (the answer's edge) or,
// that one closed, across [V, F] (the failing edge). An edge is closed when
// its width is within the tolerance (2% of its upper end, at least the
// key's step of 1 when its values are integers). It stops when both are,
// or when max_points new points have been run. The answer is L, decided
// when [L, U] closed; [L, F] holds the load where the objective stops being
// met (between U and V the metric is too near the bound to tell at
// max_replications). Replication i of every point, old or new, runs with
// seed + i (common random numbers).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/point_runner.hpp"

namespace forksim {

struct Objective {
  std::string text;    // as given
  std::string metric;  // a dotted report key
  bool at_most = true; // "<=" (else ">=")
  double bound = 0;
  bool met_by(double v) const { return at_most ? v <= bound : v >= bound; }
};

// "METRIC<=BOUND" or "METRIC>=BOUND" (spaces around the operator allowed).
// Throws ScenarioError naming `option` ("--slo") and what is wrong.
Objective parse_objective(const std::string& text, const std::string& option = "--slo");

// Throws ScenarioError naming `option` when `metric` is not a numeric
// figure of `report` (did you mean ...).
void require_metric(const std::string& metric, const nlohmann::json& report,
                    const std::string& option);

struct SloOptions {
  double level = 0.95;
  double tolerance = 0.02;    // of the load, relative
  int min_replications = 3;
  int max_replications = 10;  // per point
  int max_points = 8;         // new points the search may run
};

struct SloPoint {
  double x = 0;
  std::vector<nlohmann::json> runs;  // reports, replication i at seed + i
};

struct SloProblem {
  std::string key;               // the load: a numeric scenario key
  bool integer_key = false;      // its values are integers (step 1)
  std::vector<std::string> sets; // applied before key=value at every point
  uint64_t seed = 1;             // replication i runs with seed + i
  std::vector<SloPoint> points;  // any order, distinct x
};

// The design's "slo" object: {"objective", "key", "metric", "direction",
// "highest_meeting", "lowest_failing" (a load's; null for a resource),
// "lowest_meeting", "highest_failing" (a resource's), "answer", "interval"
// ascending ([L, F] for a load),
// "confidence", "points_added", "replications_added", "decided", "reason",
// "points": [{"x", "n", "mean", "half_width", "class"}]} (the evidence,
// sorted by x). Throws what the runner throws; ScenarioError when the
// metric is in none of the runs.
nlohmann::json slo_search(const Objective& obj, SloProblem problem, const PointRunner& run,
                          const SloOptions& opt = {});

}  // namespace forksim
