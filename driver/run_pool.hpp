// Where the replication scheduler (driver/replicate.cpp) runs its runs:
// one scenario (its raw JSON, the seed set) per job, `jobs()` at once, the
// outcomes back in completion order under the caller's id. The local pool
// forks a child per run (driver/child_pool.hpp); the MPI pool
// (driver/mpi_pool.hpp) hands each run to a worker rank, which forks it
// there. The scheduler orders the answers itself, so which pool ran them
// changes nothing in a result.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "driver/child_pool.hpp"
#include "driver/experiment.hpp"

namespace forksim {

// A ChildOutcome's status when nothing is known of the run: the rank that
// had it went silent (MPI). Not an exit status (those are 0..255): the run
// neither finished nor failed, and its point is to be run again.
constexpr int kRunLost = -1;

class RunPool {
 public:
  virtual ~RunPool() = default;
  // The runs it takes at once: those going and those held to start the
  // moment one ends (an MPI worker's, a run server's next run).
  virtual int jobs() const = 0;
  // The runs that go at once (MPI: the worker ranks alive).
  virtual int at_once() const { return jobs(); }
  virtual std::size_t running() const = 0;
  bool full() const { return static_cast<int>(running()) >= jobs(); }
  // Starts the run; the caller checks full() first.
  virtual void start(uint64_t id, const nlohmann::json& raw) = 0;
  // As ChildPool::wait_one, but the result comes as text (result_text),
  // for the caller to parse (parse_result) when it suits it; an outcome may
  // have status kRunLost.
  virtual std::optional<ChildOutcome> wait_one(bool interruptible) = 0;
  // As wait_one(true), but back after at most `ms` milliseconds (0: a
  // look) in a run server's pool, which can tell; the others wait as
  // wait_one(true) does.
  virtual std::optional<ChildOutcome> wait_one_for(int ms) {
    (void)ms;
    return wait_one(true);
  }
  // Sends sig to every run going on (SIGINT/SIGTERM: stop them cleanly).
  virtual void signal_all(int sig) = 0;
};

// `jobs` children at once on this machine, each running sim on the
// scenario parsed from the raw JSON.
std::unique_ptr<RunPool> local_run_pool(const Simulator& sim, int jobs);

}  // namespace forksim
