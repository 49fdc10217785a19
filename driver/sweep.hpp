// A sweep: every point of the --vary lists (driver/vary.hpp) validated
// before anything runs, then replicated with common random numbers
// (replication i at seed s + i at every point) over the child pool, and
// the result (design: "Sweep") and its long-form CSV.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/experiment.hpp"
#include "driver/replicate.hpp"
#include "driver/stopping.hpp"
#include "driver/vary.hpp"

namespace forksim {

constexpr int kDefaultSweepReplications = 3;

struct SweepOptions {
  std::vector<Vary> vary;
  bool zip = false;
  StopRule rule{kDefaultSweepReplications, std::nullopt, 0.95};
};

struct SweepPlan {
  nlohmann::json base;                // the base scenario, resolved
  std::vector<SweepPoint> points;
  std::vector<PointSpec> specs;       // one per point
  // Each point's index in the whole sweep, and the whole sweep's number of
  // points: a shard's plan (driver/shard.hpp) holds some of them.
  std::vector<std::size_t> indices;
  std::size_t total = 0;
};

// Applies each point's overrides to `base_raw` (the scenario before
// resolution, so that derived defaults follow the point) and checks it,
// with `check` besides parse_scenario when given. Throws ScenarioError
// naming the point and the key at the first bad point.
SweepPlan plan_sweep(const nlohmann::json& base_raw, const SweepOptions& opt,
                     const std::function<void(const Scenario&)>& check = {});

// {"index", "overrides", "sets", "replications", "metrics", "partial", "runs"}.
nlohmann::json sweep_point_json(std::size_t index, const SweepPoint& p, const PointResult& r,
                                const StopRule& rule, int jobs);

// Runs the plan; each decided point's JSON goes to on_point as it is
// decided (the partial log).
Outcome run_sweep(const SweepPlan& plan, const SweepOptions& opt, const ExperimentContext& ctx,
                  const std::function<void(const nlohmann::json&)>& on_point = {});

// The sweep's result (without the manifest): the decided points in index
// order, "complete" false when some were not.
nlohmann::json sweep_json(const SweepPlan& plan, const SweepOptions& opt, const Outcome& o, int jobs);

// Long form: header "<varied keys...>,metric,mean,half_width,n", one row
// per point and metric (those every replication had), half_width empty
// when there is none (one replication).
std::string sweep_csv(const nlohmann::json& sweep);

}  // namespace forksim
