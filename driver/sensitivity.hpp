// Which cost estimates an answer depends on: the elasticity of a metric to
// each step cost, from runs at cost x (1 - d) and x (1 + d) with common
// random numbers (replication i at seed + i at both), ranked by its size.
//
// Per replication, the arc elasticity e_i = ((m+ - m-) / (m+ + m-)) / d
// (the relative change of the metric over the relative change of the cost,
// both taken about their midpoints, so that it is symmetric in the two
// runs); 0 when m+ = m-. Its Student-t interval over the replications is
// the cost's elasticity. A metric c x^k has e = ((1+d)^k - (1-d)^k) /
// ((1+d)^k + (1-d)^k) / d exactly: k = 1 gives 1, k = 2 gives 2 / (1 + d^2).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/point_runner.hpp"

namespace forksim {

struct CostEntry {
  std::string step;        // its name in the scenario's "costs"
  std::string basis;       // "measured", "share", "remainder", "guess" or "none"
  std::string basis_note;  // where the figure comes from, in full
  nlohmann::json value;    // as a scenario writes it: ns, or {"dist": ...}
  double mean_ns = 0;
  bool set_by_scenario = false;  // the scenario's own entry (or its "*"), not the default
};

// `value` with its random variable multiplied by `factor` (> 0): a number
// times it; an exponential's or lognormal's mean times it (the lognormal's
// cv, a ratio, unchanged); a uniform's min and max times it. Throws
// std::invalid_argument for anything else.
nlohmann::json scale_cost(const nlohmann::json& value, double factor);

struct SensitivityOptions {
  std::string metric;          // a dotted report key
  double delta = 0.25;         // d, in (0, 1)
  std::size_t replications = 3;
  uint64_t seed = 1;           // replication i runs with seed + i
  double level = 0.95;
};

// {"metric", "delta", "replications", "seeds", "baseline": interval_json,
//  "costs": [{"cost", "basis", "basis_note", "set_by_scenario", "cost_ns",
//             "elasticity", "low", "high"}] (ranked by |elasticity| desc,
//  then by name), "skipped": [{"cost", "reason"}]}. The caller adds the
// scenario and the manifest. Runs the baseline first, so that an unknown
// metric (ScenarioError naming --metric) costs one batch; what the runner
// throws passes through.
nlohmann::json sensitivity(const std::vector<CostEntry>& costs, const PointRunner& run,
                           const SensitivityOptions& opt);

}  // namespace forksim
