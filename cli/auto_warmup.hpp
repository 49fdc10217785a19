// warmup_s "auto": the warm-up cut MSER-5 chooses on a pilot run.
//
// A run's histograms and counters are windowed as it goes, so a run cannot
// be re-windowed afterwards. Instead a pilot runs the same scenario and seed
// with no warm-up, in a child process (driver/child_pool.hpp: one SimGrid
// engine per process), and MSER-5 (analysis/mser.hpp) on its time series
// picks the cut; the real run then has warmup_s = the cut. The windows only
// gate what the probes count, never what the model does, so that run is the
// one a numeric warmup_s of the cut gives (tests/test_auto_warmup.cpp).
//
// The series is forks_per_s, the figure forksim is about, one sample per
// timeseries_s interval (the t = 0 sample, which covers no interval, left
// out). When the pilot completed no fork (an interactive victim alone, a
// service that never forks) it is cpu_utilization, which follows the load
// of any workload.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "scenarios/scenario.hpp"
#include "scenarios/workload.hpp"

namespace forksim {

struct WarmupChoice {
  // The report's "warmup": {"requested": x}, or for "auto" {"requested",
  // "method", "series", "batch", "cut_s", "statistic", "batches"}.
  nlohmann::json warmup;
  // When a budget or a signal stopped the pilot: its partial report (window
  // from 0, "warmup" saying no cut was chosen), the command's answer.
  std::optional<nlohmann::json> stopped_pilot;
};

// Without s.warmup_auto: {"requested": s.warmup_s}, s untouched. With it:
// runs the pilot (under `opt`, its monitor and budgets included), sets
// s.warmup_s to the cut and returns how it was chosen. The caller must not
// have started a SimGrid engine. Throws std::runtime_error when the pilot
// fails.
WarmupChoice choose_warmup(Scenario& s, const RunOptions& opt);

}  // namespace forksim
