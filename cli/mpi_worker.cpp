#include "cli/mpi_worker.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <iostream>
#include <cstdlib>
#include <string>

#include "cli/experiment_setup.hpp"
#include "cli/interrupt.hpp"
#include "cli/options.hpp"
#include "driver/run_pool.hpp"
#include "scenarios/json_text.hpp"
#ifdef FORKSIM_HAVE_MPI
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "driver/mpi_pool.hpp"
#include "driver/run_server.hpp"

extern char** environ;
#endif

namespace po = boost::program_options;

namespace forksim {

void add_mpi_options(po::options_description& d) {
  d.add_options()
      ("mpi", "run under mpirun: rank 0 hands the runs to the other ranks as they become free, "
              "largest points first, and writes the result (not with --jobs: the worker ranks are "
              "the runs at once)")
      ("mpi-timeout-s", po::value<std::string>()->default_value("60"),
       "with --mpi: a worker rank silent this long while it has a run is lost; its points are "
       "reported and left for a rerun of the same command (0.5 to 86400)");
}

bool mpi_asked(const po::variables_map& vm) {
  if (vm.count("mpi")) return true;
  if (!vm["mpi-timeout-s"].defaulted()) throw Usage("--mpi-timeout-s goes with --mpi");
  return false;
}

int runs_at_once(const MpiRun* mpi, const po::variables_map& vm, std::size_t needed) {
  if (!mpi) return jobs_option(vm, needed);
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(mpi->workers()),
                                                std::max<std::size_t>(needed, 1)));
}

int runs_sharing_memory(const MpiRun* mpi, int jobs) { return mpi ? mpi->ranks_on_host() : jobs; }

#ifdef FORKSIM_HAVE_MPI

namespace {

double timeout_option(const po::variables_map& vm) {
  const std::string& text = vm["mpi-timeout-s"].as<std::string>();
  char* end = nullptr;
  double t = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(t >= 0.5 && t <= 86400))
    throw Usage("--mpi-timeout-s must be a number of seconds from 0.5 to 86400, got '" + printable(text) + "'");
  return t;
}

}  // namespace

namespace {

// A worker rank's runs are forked by a run server (driver/run_server.hpp):
// the worker's binary again, with the same command line and these set, so
// that it reads the same options and budgets but never starts MPI.
constexpr const char* kServerFdEnv = "FORKSIM_RUN_SERVER";             // its end of the socket
constexpr const char* kServerSharingEnv = "FORKSIM_RUN_SERVER_SHARING";  // the worker's ranks_on_host
constexpr int kServerFd = 3;

// A run server for this worker: its pool, or nullptr (saying why on err)
// when it cannot be started, the worker then forking its runs itself.
std::unique_ptr<RunPool> spawn_run_server(const std::vector<std::string>& command_line, int sharing,
                                          std::ostream& err) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    err << "forksim: no run server (socketpair: " << std::strerror(errno) << "); the worker forks its runs\n";
    return nullptr;
  }
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "FORKSIM_RUN_SERVER", 18) != 0) env_text.emplace_back(*e);
  env_text.push_back(std::string(kServerFdEnv) + "=" + std::to_string(kServerFd));
  env_text.push_back(std::string(kServerSharingEnv) + "=" + std::to_string(sharing));
  std::vector<char*> envp, argv;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = command_line;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], kServerFd);  // dup2 clears close-on-exec
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    err << "forksim: no run server (posix_spawn: " << std::strerror(rc) << "); the worker forks its runs\n";
    return nullptr;
  }
  return run_server_pool(pid, sv[0], kMpiRunsHeld);
}

}  // namespace

struct MpiRun::Impl {
  double timeout_s = 60;
  std::optional<MpiWorld> world;  // before the coordinator, which goes first; none in a run server
  std::unique_ptr<MpiCoordinator> coordinator;
  int server_fd = -1, server_sharing = 1;  // a run server's (spawn_run_server)
};

MpiRun::MpiRun(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MpiRun::~MpiRun() {
  if (!impl_->coordinator) return;
  const bool lost = impl_->coordinator->lost_any();
  impl_->coordinator.reset();  // the workers are told to stop
  if (lost) impl_->world->abandon();
}

std::unique_ptr<MpiRun> MpiRun::start(const po::variables_map& vm) {
  if (!mpi_asked(vm)) return nullptr;
  if (vm.count("jobs"))
    throw Usage("--jobs cannot be used with --mpi: the worker ranks run one run each at a time "
                "(mpirun -np N gives N - 1 at once)");
  const double timeout = timeout_option(vm);
  auto impl = std::make_unique<Impl>();
  impl->timeout_s = timeout;
  if (const char* fd = std::getenv(kServerFdEnv)) {  // a worker's run server: no MPI
    // Only a worker sets it, to its socket's descriptor: anything else is refused.
    char* end = nullptr;
    const long n = std::strtol(fd, &end, 10);
    struct stat st;
    if (!*fd || *end || n < 0 || n > 65535 || ::fstat(static_cast<int>(n), &st) != 0 || !S_ISSOCK(st.st_mode))
      throw Usage(std::string(kServerFdEnv) + " is forksim's own (an MPI worker sets it for its run server), "
                  "and '" + printable(fd) + "' is not a socket's descriptor: unset it");
    impl->server_fd = static_cast<int>(n);
    const char* sharing = std::getenv(kServerSharingEnv);
    impl->server_sharing = std::max(1, sharing ? std::atoi(sharing) : 1);
    ::unsetenv(kServerFdEnv);
    ::unsetenv(kServerSharingEnv);
    return std::unique_ptr<MpiRun>(new MpiRun(std::move(impl)));
  }
  impl->world.emplace();
  if (impl->world->size() < 2)
    throw Usage("--mpi needs at least 2 ranks (mpirun -np N with N >= 2): rank 0 hands out the runs, "
                "the others run them");
  if (impl->world->rank() == 0) impl->coordinator = std::make_unique<MpiCoordinator>(*impl->world, timeout);
  return std::unique_ptr<MpiRun>(new MpiRun(std::move(impl)));
}

bool MpiRun::worker() const { return !impl_->world || impl_->world->rank() != 0; }
int MpiRun::workers() const { return impl_->world ? impl_->world->size() - 1 : 1; }
int MpiRun::ranks_on_host() const { return impl_->world ? impl_->world->ranks_on_host() : impl_->server_sharing; }

void MpiRun::use(ExperimentContext& ctx) {
  MpiCoordinator* c = impl_->coordinator.get();
  const int most = std::max(1, ctx.jobs);
  ctx.make_pool = [c, most] { return c->pool(most); };
}

int MpiRun::serve(const RunBudgets& per_run) {
  // The children inherit its handlers: a signal rank 0 forwards stops a
  // run as ^C stops a plain one, with its partial report.
  InterruptGuard interrupts;
  const ExperimentContext ctx = experiment_context(per_run, 1, /*progress=*/false, std::cerr);
  if (impl_->server_fd >= 0) return serve_runs(ctx.sim, impl_->server_fd);
  MpiWorkerLink link;
  // Reports go on to rank 0 as their children wrote them: parsed there once.
  std::unique_ptr<RunPool> pool = spawn_run_server(per_run.command_line, ranks_on_host(), std::cerr);
  if (!pool) pool = local_run_pool(ctx.sim, 1);
  // Runs rank 0 gave (kMpiRunsHeld at most), in its order, not yet given
  // to the pool; the run server takes them all (it starts the next the
  // moment a run ends), the worker's own pool one at a time.
  std::deque<MpiWorkerLink::Order> held;
  auto start_next = [&] {
    while (!pool->full() && !held.empty()) {
      MpiWorkerLink::Order run = std::move(held.front());
      held.pop_front();
      try {
        pool->start(run.id, run.raw);
      } catch (const std::exception& e) {
        link.done({run.id, std::nullopt, 1, e.what(), ""});
      }
    }
  };
  // A run stopped before it started has no report: status 128 + sig.
  auto drop_held = [&](int sig) {
    for (const MpiWorkerLink::Order& run : held)
      link.done({run.id, std::nullopt, 128 + sig, "stopped by signal " + std::to_string(sig) + " before it started", ""});
    held.clear();
  };
  const auto beat = std::chrono::duration<double>(heartbeat_period(impl_->timeout_s));
  auto last_beat = std::chrono::steady_clock::now();
  bool forwarded = false;
  while (true) {
    if (std::optional<MpiWorkerLink::Order> order = link.poll()) {
      if (order->kind == MpiWorkerLink::Order::kStop) {  // a run left is killed with the pool
        if (!order->finalize) impl_->world->abandon();
        link.flush(impl_->timeout_s);
        return 0;
      }
      if (order->kind == MpiWorkerLink::Order::kSignal) {
        drop_held(order->signal);
        pool->signal_all(order->signal);
        continue;
      }
      held.push_back(std::move(*order));
      if (pool->running() == 0) last_beat = std::chrono::steady_clock::now();
      start_next();
      continue;
    }
    // A signal to the worker itself (mpirun aborting the job, say): its
    // run, if any, stops as a plain run would (rank 0 hears of it and stops
    // too), then the worker leaves; rank 0 counts it lost if it goes on.
    const int sig = interrupt_signal();
    if (sig && !forwarded && pool->running() > 0) {
      pool->signal_all(sig);
      forwarded = true;
    }
    if (pool->running() == 0) {
      if (sig) {
        drop_held(sig);
        link.flush(impl_->timeout_s);
        return 128 + sig;
      }
      mpi_nap();
      continue;
    }
    // While its server could hold another run, rank 0's next order is due:
    // the worker looks for it as often as rank 0 looks (mpi_nap), not
    // after the run's end, or the server would have nothing to start then.
    std::optional<ChildOutcome> o;
    if (pool->full() || sig) {
      o = pool->wait_one(/*interruptible=*/true);
    } else if (!(o = pool->wait_one_for(0))) {
      mpi_nap();
    }
    if (o) {
      if (!sig) start_next();  // the next run first: its core is idle meanwhile
      link.done(*o);
    } else if (std::chrono::steady_clock::now() - last_beat >= beat) {
      link.heartbeat();
      last_beat = std::chrono::steady_clock::now();
    }
  }
}

#else  // built without MPI: --mpi is refused, saying so

struct MpiRun::Impl {};
MpiRun::MpiRun(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MpiRun::~MpiRun() = default;

std::unique_ptr<MpiRun> MpiRun::start(const po::variables_map& vm) {
  if (!mpi_asked(vm)) return nullptr;
  throw Usage("--mpi: forksim was built without MPI (install libopenmpi-dev and libboost-mpi-dev, "
              "scripts/setup.sh does, and build again)");
}

bool MpiRun::worker() const { return false; }
int MpiRun::workers() const { return 0; }
int MpiRun::ranks_on_host() const { return 1; }
int MpiRun::serve(const RunBudgets&) { return 1; }
void MpiRun::use(ExperimentContext&) {}

#endif

}  // namespace forksim
