// What a scenario's report will cost, checked before the run against the
// memory budget: the time series is the one part of a report that grows
// with the scenario (duration_s / timeseries_s samples), so a scenario that
// asks for more samples than the budget holds is refused up front, naming
// timeseries_s and the smallest period that fits, rather than stopped (or
// killed) after a long run with nothing to show.
#pragma once
#include <cstdint>

#include "scenarios/scenario.hpp"

namespace forksim {

// Peak memory per time-series sample while the report is built and
// written, for the machine's columns (t_s, nproc, failures_per_s,
// fork_fail_pending, runnable, forks_per_s, cpu_utilization, runq) and
// for each group latency column (workload.hpp latency_series): 376 and 40
// bytes measured (peak RSS over a run's baseline, 2,000,001 samples,
// Release build), rounded up.
constexpr double kBytesPerSample = 450;
constexpr double kBytesPerGroupColumn = 60;

// The report's samples may use half the budget; the model keeps the rest.
constexpr double kReportShareOfBudget = 0.5;

uint64_t timeseries_samples(const Scenario& s);
// What one sample of s costs: the machine's columns and its groups'.
double timeseries_bytes_per_sample(const Scenario& s);

// Throws ScenarioError naming timeseries_s when the samples would not fit
// in budget_mb (0: no budget, nothing is refused).
void check_report_fits(const Scenario& s, double budget_mb);

}  // namespace forksim
