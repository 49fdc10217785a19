// Runs a scenario: builds the machine and the kernel, starts the workload's
// processes, simulates duration_s, then drains (every workload process
// exits and is reaped) so that the end-of-run invariants can be checked.
// A run is a pure function of (resolved scenario, seed) to its probes.
#pragma once
#include "analysis/probes.hpp"
#include "scenarios/scenario.hpp"
#include "sim/engine.hpp"

namespace forksim {

struct RunOptions {
  EngineOptions engine;
  // A sleep per charged step: the naive engine the shortcuts are tested
  // against (same answer, more events).
  bool step_by_step = false;
};

Probes run_scenario(const Scenario& s, const RunOptions& opt = {});

}  // namespace forksim
