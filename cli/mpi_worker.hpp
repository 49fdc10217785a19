// `--mpi` for the experiment commands (sweep, replicated run, sensitivity):
// under `mpirun -np N`, every rank parses the same command line; rank 0
// goes on as the command does, its runs handed to ranks 1..N-1
// (driver/mpi_pool.hpp), and the others become workers, which run what
// rank 0 sends until it says stop. MPI is started only with --mpi, so a
// plain forksim never needs mpirun. A build without MPI refuses --mpi.
#pragma once
#include <boost/program_options.hpp>
#include <memory>

#include "cli/run_one.hpp"
#include "driver/experiment.hpp"

namespace forksim {

// --mpi and --mpi-timeout-s.
void add_mpi_options(boost::program_options::options_description& d);
// Whether --mpi is given; --mpi-timeout-s without it throws Usage.
bool mpi_asked(const boost::program_options::variables_map& vm);

class MpiRun {
 public:
  // nullptr without --mpi. Throws Usage (exit 2) when forksim was built
  // without MPI, with --jobs (the worker ranks are the runs at once), with
  // a bad --mpi-timeout-s, or with fewer than 2 ranks.
  static std::unique_ptr<MpiRun> start(const boost::program_options::variables_map& vm);
  // Rank 0 tells the live workers to stop; then MPI_Finalize.
  ~MpiRun();

  bool worker() const;
  int workers() const;        // the ranks but rank 0
  int ranks_on_host() const;  // that share this host's memory
  // A worker's loop: each run rank 0 sends, in a child under `per_run`
  // as locally, until rank 0 says stop (0), or until a SIGINT/SIGTERM to
  // the worker itself has stopped its run (128 + the signal).
  int serve(const RunBudgets& per_run);
  // ctx's runs go to the workers, ctx.jobs at most at once (rank 0).
  void use(ExperimentContext& ctx);

  struct Impl;

 private:
  explicit MpiRun(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The runs at once: with `mpi` its worker ranks, else --jobs or the CPUs
// (jobs_option); never more than `needed`.
int runs_at_once(const MpiRun* mpi, const boost::program_options::variables_map& vm, std::size_t needed);
// What the memory budget is divided among (run_budgets' jobs): with `mpi`
// the ranks sharing this host, else the runs at once.
int runs_sharing_memory(const MpiRun* mpi, int jobs);

}  // namespace forksim
