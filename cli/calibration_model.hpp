// The model's side of `forksim calibrate`: which costs are fitted, the
// scenario that stands for each measured case (calibrate/host_bench.hpp)
// in the model, the figure a run report gives for it, and the fit of the
// costs to measured figures (analysis/cost_fit.hpp) with the runs done by
// a PointRunner (each run its own process).
//
// The fitted costs are groups of steps whose defaults derive from the same
// measured totals (docs/measurements.md): each group's steps are scaled by
// one factor, so the split inside a group stays the model's.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/cost_fit.hpp"
#include "calibrate/host_bench.hpp"
#include "driver/point_runner.hpp"

namespace forksim {

struct CostGroup {
  std::string name;
  std::vector<std::string> steps;  // step names (models/steps.hpp)
  std::string from;                // what in the figures fixes it
};
const std::vector<CostGroup>& fitted_cost_groups();

// Each group's steps at factor x their default, ns.
std::map<std::string, double> group_costs(const std::vector<double>& factors);

// What the model of the host is run with besides the costs.
struct HostModel {
  int ncpus = 2;
  double physmem_mb = 16384;
  double own_anon_mb = 0;  // forksim's own resident private memory, added to each region
};

// Whether the model predicts a case (the process-limit failure rate it does
// not: illumos backs a failing fork off for whole clock ticks, Linux not at
// all, so the rates are not the same quantity).
bool case_predicted(const BenchCase& c);

// The --set lines of the scenario that stands for c (its costs apart).
std::vector<std::string> case_sets(const BenchCase& c, const HostModel& m);

// The case's figure from one run of that scenario, in bench_unit(c.kind).
double case_figure(const BenchCase& c, const nlohmann::json& report);

// Runs every case at the costs, at each seed; result[i][j]: case i, seed j.
// Cases with the same scenario (a fork call and its fork + wait) share runs.
// `costs`: step name -> its JSON value in a scenario's costs (a number, ns).
std::vector<std::vector<double>> predict_cases(const std::vector<BenchCase>& cases,
                                               const nlohmann::json& costs,
                                               const HostModel& m, const PointRunner& runner,
                                               const std::vector<uint64_t>& seeds);

// The figures the fit uses: measured and predicted, the single-process
// latencies at every size and the one-process throughput.
bool fitted_case(const BenchCase& c);

// The factors of fitted_cost_groups() fitted to the figures (those of
// fitted_case, not skipped), started from the defaults (1). One seed (1).
CostFit fit_cost_factors(const std::vector<BenchFigure>& figures, const HostModel& m,
                         const PointRunner& runner);

}  // namespace forksim
