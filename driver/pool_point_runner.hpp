// The PointRunner (driver/point_runner.hpp) over the child pool: a batch's
// runs, every point at every one of its seeds, go out together, `jobs` at
// a time, one process each.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>

#include "driver/experiment.hpp"
#include "driver/point_runner.hpp"

namespace forksim {

// Points are base_raw with their sets applied, each checked (parse_scenario
// and `check`) before any runs: a bad one throws ScenarioError naming its
// sets. A failed, budget-stopped or interrupted batch throws
// ExperimentStopped with the command's exit status.
PointRunner pool_point_runner(nlohmann::json base_raw, ExperimentContext ctx,
                              std::function<void(const Scenario&)> check = {});

}  // namespace forksim
