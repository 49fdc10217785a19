// Runs a scenario: builds the machine and the kernel, starts the workload's
// processes, simulates duration_s, then drains (every workload process
// exits and is reaped) so that the end-of-run invariants can be checked.
// A run is a pure function of (resolved scenario, seed) to its probes.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "analysis/probes.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"
#include "sim/streams.hpp"

namespace forksim {

class Trace;

// Where a run stands, for a monitor (progress, guards).
struct RunStatus {
  double sim_time_s = 0;
  double duration_s = 0;
  uint64_t events = 0;
  int nproc = 0;
  const char* phase = "set-up";  // "set-up", "run" or "drain"
};

struct RunOptions {
  // Called at a bounded interval of work in every phase: every
  // `monitor_every` engine events (inside a run of events at one instant
  // too), every 1024 threads made during set-up, and between slices of
  // simulated time. A non-empty answer stops the run there with that
  // reason: the probes come back marked incomplete.
  std::function<std::string(const RunStatus&)> monitor;
  uint64_t monitor_every = 4096;
  // More engine events than this at one simulated instant stop the run as
  // a livelock. 0: 2 million plus 200 per process slot and per forking
  // thread, far above what any real instant holds (a fork bomb's tick,
  // when every backed-off process wakes at once, is a few tens of events
  // per process).
  uint64_t max_events_at_instant = 0;
  // A wait per charged step: the naive engine the shortcuts are tested
  // against (same answer, more events).
  bool step_by_step = false;
  // For tests: every workload draw as it is made, by its stream (the
  // drawn value; for Stream::Arrivals, the arrival's time).
  std::function<void(Stream, double)> on_draw;
  // Records the run's timeline (sim/trace.hpp) when set; the caller owns it
  // and finishes it after the run.
  Trace* trace = nullptr;
};

Probes run_scenario(const Scenario& s, const RunOptions& opt = {});

// The latencies a workload reports over time (GroupProbes::series): the
// columns of its time series beside the machine's, each the mean of those
// that ended in the interval. A workload type that has a latency to show
// names it here and feeds it as each one ends.
std::vector<std::string> latency_series(const Workload& w);

}  // namespace forksim
