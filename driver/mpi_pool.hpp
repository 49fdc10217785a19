// Runs over MPI (`mpirun -np N forksim sweep ... --mpi`): rank 0 is the
// coordinator, whose RunPool hands each run to a worker rank (1..N-1) as
// it becomes free, a work queue one run deep (kMpiRunsHeld); a worker runs
// its runs one at a time, each in a forked child as locally
// (cli/mpi_worker.hpp), and sends back each one's status, error and report.
// A run a worker held but never started, when a signal stops its runs,
// comes back with status 128 + the signal and no report.
//
// While a run goes on its worker sends a heartbeat every
// heartbeat_period(timeout) seconds; a worker with runs that is silent for
// `timeout_s` is lost for good: its runs come back as kRunLost
// (driver/run_pool.hpp) and the other workers go on. Open MPI aborts the
// whole job when a rank dies unless mpirun has `--mca orte_enable_recovery 1`.
//
// Messages are JSON text (MPI_BYTE) from rank 0 to a worker: run {"id",
// "raw"}, signal {"signal"}, stop; from a worker: heartbeat, and done: a
// line {"id", "status", "error"} then the run's report as its child wrote
// it (nothing when it has none), which the worker passes on unparsed.
// Polled (MPI_Iprobe and short sleeps), never a blocking receive, and sent
// without waiting (MPI_Isend): in Open MPI either spins on a core the runs
// need (a report is past the eager limit, so a blocking send waited, with
// sched_yield, for rank 0 to look: a third of a worker's CPU, perf).
// Only built with MPI (FORKSIM_MPI).
#pragma once
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/run_pool.hpp"

namespace forksim {

// MPI_Init on construction (errors returned, not fatal: a lost rank must
// not abort the others), MPI_Finalize on destruction. One per process.
class MpiWorld {
 public:
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // How many ranks share this rank's host (MPI_COMM_TYPE_SHARED).
  int ranks_on_host() const { return on_host_; }
  // Leave without MPI_Finalize: once a rank is lost, the survivors'
  // finalize can wait for it for ever (seen with Open MPI 4.1 under load).
  void abandon() { finalize_ = false; }

 private:
  int rank_ = 0, size_ = 1, on_host_ = 1;
  bool finalize_ = true;
};

// The poll's pause between looks (a fraction of a millisecond), for rank 0
// and for a worker waiting for its next order; false when a signal handler
// cut it short.
bool mpi_nap();

// How many runs rank 0 gives a worker at once: the one it runs and the
// next, which it starts as soon as the first ends instead of waiting for
// rank 0 to hear of the end and answer (two polls and a parse of the
// report, about a millisecond a run with a core idle). A slow run holds
// back at most the one run queued behind it.
constexpr int kMpiRunsHeld = 2;

// How often a worker says it is alive, for a timeout: a fifth of it, at
// most a second.
double heartbeat_period(double timeout_s);

// Messages on their way: each buffer lives until MPI says it is sent.
class MpiOutbox {
 public:
  MpiOutbox();
  ~MpiOutbox();  // what is still pending is left (its rank may be gone)
  MpiOutbox(const MpiOutbox&) = delete;
  MpiOutbox& operator=(const MpiOutbox&) = delete;
  void send(int rank, int tag, std::string text);
  // Frees what has gone; whether anything to a rank `counts` is still pending.
  bool pending(const std::function<bool(int rank)>& counts = {});

 private:
  struct Send;
  std::vector<std::unique_ptr<Send>> sends_;
};

// Rank 0's side: the workers, which are alive, which run each has.
class MpiCoordinator {
 public:
  MpiCoordinator(const MpiWorld& world, double timeout_s);
  // Tells every live worker to stop (their loop ends).
  ~MpiCoordinator();
  MpiCoordinator(const MpiCoordinator&) = delete;
  MpiCoordinator& operator=(const MpiCoordinator&) = delete;

  int workers_alive() const;
  bool lost_any() const { return workers_alive() < static_cast<int>(workers_.size()); }
  // A pool over the live workers, at most `most` runs at once; one pool at
  // a time (its destructor kills and waits out its runs).
  std::unique_ptr<RunPool> pool(int most);

 private:
  friend class MpiRunPool;
  struct Worker {
    int rank = 0;
    bool alive = true;
    std::deque<uint64_t> runs;  // the ids it holds, the one it runs first
    std::chrono::steady_clock::time_point heard;
  };
  // Receives what has come; outcomes of finished or lost runs go to ready_.
  void poll();

  double timeout_s_;
  std::vector<Worker> workers_;
  MpiOutbox out_;
  std::vector<ChildOutcome> ready_;
};

// A worker rank's side of the messages: what rank 0 asks, and answers.
class MpiWorkerLink {
 public:
  struct Order {
    enum Kind { kRun, kSignal, kStop } kind = kStop;
    uint64_t id = 0;
    nlohmann::json raw;     // kRun
    int signal = 0;         // kSignal
    bool finalize = true;   // kStop: false once a rank was lost (MpiWorld::abandon)
  };
  // An order when one has come (not waiting).
  std::optional<Order> poll();
  void heartbeat();
  // Sends the outcome (its result_text, unparsed) without waiting for it to go.
  void done(const ChildOutcome& o);
  // Waits, at most timeout_s, for what done() sent to have gone.
  void flush(double timeout_s);

 private:
  MpiOutbox out_;
};

}  // namespace forksim
