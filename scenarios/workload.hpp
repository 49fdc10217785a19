// Runs a scenario: builds the machine and the kernel, starts the workload's
// processes, simulates duration_s, then drains (every workload process
// exits and is reaped) so that the end-of-run invariants can be checked.
// A run is a pure function of (resolved scenario, seed) to its probes.
#pragma once
#include <functional>
#include <string>

#include "analysis/probes.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"

namespace forksim {

// Where a run stands, for a monitor (progress, guards).
struct RunStatus {
  double sim_time_s = 0;
  double duration_s = 0;
  uint64_t events = 0;
  int nproc = 0;
};

struct RunOptions {
  // Called between slices of simulated time; a non-empty answer stops the
  // run there with that reason: the probes come back marked incomplete.
  std::function<std::string(const RunStatus&)> monitor;
  // A wait per charged step: the naive engine the shortcuts are tested
  // against (same answer, more events).
  bool step_by_step = false;
};

Probes run_scenario(const Scenario& s, const RunOptions& opt = {});

}  // namespace forksim
