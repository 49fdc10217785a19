// The capacity answers on a finished sweep (the design's "knee", "usl" and
// "slo" keys of the sweep object), for a sweep that varies one numeric key,
// the load:
// - "knee": Kneedle (analysis/knee.hpp) on the metric's point means
//   against the load, with the bottleneck there (analysis/bottleneck.hpp);
// - "usl": when the load is machine.ncpus, the USL (analysis/usl.hpp)
//   fitted to the metric's point means;
// - "slo": with an objective, the SLO search (driver/slo_search.hpp), which
//   runs more points and replications through `run`.
// A sweep the knee or the USL cannot use gets {"found": false, "reason"}
// or {"fitted": false, "reason"}; an objective it cannot use is bad input.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analysis/knee.hpp"
#include "driver/point_runner.hpp"
#include "driver/slo_search.hpp"

namespace forksim {

struct CapacityOptions {
  std::string metric = "throughput.forks_per_s";  // the knee's and the USL's y
  KneeOptions knee;
  std::optional<std::string> slo;  // "METRIC<=BOUND" or "METRIC>=BOUND"
  SloOptions slo_search;
};

// Before the sweep runs: throws ScenarioError (naming --slo) when the
// objective is malformed or the sweep's definition ({"vary": [{"key",
// "values"}], ...}, the design's "sweep" object) does not vary exactly one
// key with numeric values.
void check_capacity_options(const nlohmann::json& sweep_definition, const CapacityOptions& opt);

// Adds "knee", "usl" (machine.ncpus only) and "slo" (with opt.slo) to the
// sweep result. Throws ScenarioError for an unknown metric (did you mean),
// and what the runner throws.
void add_capacity_answers(nlohmann::json& sweep, const PointRunner& run, const CapacityOptions& opt);

}  // namespace forksim
