// What every experiment of the driver (replications, sweeps, the point
// runner) is given by its caller: how to run one scenario (a closure the
// command line makes; the driver never sees the engine), how many runs at
// once, how to learn of an interrupt, and where progress goes.
#pragma once
#include <functional>
#include <memory>
#include <vector>
#include <utility>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "scenarios/scenario.hpp"

namespace forksim {

struct Simulator {
  // Runs one resolved scenario (its seed included) in the calling process,
  // which is a child of the pool, and returns its report.
  std::function<nlohmann::json(const Scenario&)> run;
  // The child's exit status for that report: 0 complete, 3 stopped by a
  // budget, 128 + the signal when a signal stopped it.
  std::function<int(const nlohmann::json&)> exit_status;
};

// Where an experiment stands, for a progress line (driver/progress.hpp).
struct Progress {
  std::size_t runs_done = 0;
  std::size_t runs_planned = 0;   // the current estimate, sequential stopping included
  std::size_t points_done = 0, points = 0;
  // With --precision on one point: the last relative half-width and the target.
  double rel_half_width = -1, target = -1;
  double elapsed_s = 0;
};

class RunPool;  // driver/run_pool.hpp

struct ExperimentContext {
  Simulator sim;
  int jobs = 1;
  // Where the runs go (a fresh pool per experiment); empty: jobs children
  // on this machine (local_run_pool). The MPI pool's jobs are its workers.
  std::function<std::unique_ptr<RunPool>()> make_pool;
  std::function<bool()> interrupted;               // the caller's SIGINT/SIGTERM flag; may be empty
  std::function<int()> interrupt_signal;           // which signal (forwarded to the children)
  std::function<void(const Progress&)> progress;   // may be empty
  // Metrics the command's options name (option, metric), beside --metric:
  // names can only be checked against a run report, so they are checked on
  // the first one that comes back, and a bad one stops the experiment as
  // bad input (status 2) before more runs are spent on it.
  std::vector<std::pair<std::string, std::string>> named_metrics;
};

// An experiment that could not finish: `status` is the exit status the
// command should give (1 a run failed, 3 a budget stopped a run, 128 + the
// signal when interrupted); the message names the point and the seed.
struct ExperimentStopped : std::runtime_error {
  ExperimentStopped(int status, const std::string& what) : std::runtime_error(what), status(status) {}
  int status;
};

}  // namespace forksim
