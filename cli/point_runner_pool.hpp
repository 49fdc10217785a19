// The PointRunner the commands give the experiment algorithms: every
// (point, seed) is a child process of a ChildPool (one SimGrid engine per
// process) that applies the point's overrides and the seed to the raw base
// scenario, runs it and returns its report.
//
// Every point of a batch is parsed in the parent first, so that a bad
// point throws (ScenarioError, the point's overrides named) before anything
// runs. A failed child throws std::runtime_error naming the point, the seed
// and what the child said; a run that stopped early (exit 3: it made no
// progress) throws RunStopped; SIGINT or SIGTERM under an InterruptGuard
// throws RunInterrupted, the running children killed.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "driver/point_runner.hpp"

namespace forksim {

struct RunStopped : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct RunInterrupted : std::runtime_error {
  int signal;
  RunInterrupted(const std::string& what, int sig) : std::runtime_error(what), signal(sig) {}
};

// `base`: the scenario as read, before any override; `jobs` >= 1.
PointRunner pool_point_runner(nlohmann::json base, int jobs);

// "workload.parents=8, machine.ncpus=4" (or "the base scenario").
std::string describe_point(const PointRequest& r);

}  // namespace forksim
