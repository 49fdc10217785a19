#include "calibrate/host_bench.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <memory>
#include <thread>

extern char** environ;

namespace forksim {
namespace {

constexpr std::size_t kPage = 4096;
constexpr long kMinIterations = 5, kMaxIterations = 2000;

double now_s() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void reap(pid_t p) {
  int st = 0;
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(errno_text("waitpid"));
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The parent's private writable region, every page written so that it is
// resident; huge pages off, as the figures of docs/measurements.md were
// taken (with them fork's cost per MB falls some 60-fold).
class Region {
 public:
  explicit Region(double mb) : n_(static_cast<std::size_t>(std::llround(mb * 256)) * kPage) {
    if (n_ == 0) return;
    p_ = mmap(nullptr, n_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p_ == MAP_FAILED) {
      p_ = nullptr;
      throw std::runtime_error("cannot map a " + std::to_string(mb) + " MB region: " +
                               std::strerror(errno));
    }
    madvise(p_, n_, MADV_NOHUGEPAGE);  // a kernel without THP refuses it: no matter
    auto* b = static_cast<volatile char*>(p_);
    for (std::size_t i = 0; i < n_; i += kPage) b[i] = 1;
  }
  ~Region() {
    if (p_) munmap(p_, n_);
  }
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

 private:
  std::size_t n_;
  void* p_ = nullptr;
};

// One timed call, microseconds; every child reaped before it returns.
// vfork's child may only _exit: it runs on the parent's stack.
double fork_call_us() {
  const double t0 = now_s();
  const pid_t p = fork();
  if (p == 0) _exit(0);
  const double t1 = now_s();
  if (p < 0) throw std::runtime_error(errno_text("fork"));
  reap(p);
  return (t1 - t0) * 1e6;
}

double fork_wait_us() {
  const double t0 = now_s();
  const pid_t p = fork();
  if (p == 0) _exit(0);
  if (p < 0) throw std::runtime_error(errno_text("fork"));
  reap(p);
  return (now_s() - t0) * 1e6;
}

double vfork_call_us() {
  const double t0 = now_s();
  const pid_t p = vfork();
  if (p == 0) _exit(0);
  const double t1 = now_s();
  if (p < 0) throw std::runtime_error(errno_text("vfork"));
  reap(p);
  return (t1 - t0) * 1e6;
}

double spawn_call_us(const std::string& program) {
  char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
  pid_t p = -1;
  const double t0 = now_s();
  const int rc = posix_spawn(&p, program.c_str(), nullptr, nullptr, argv, environ);
  const double t1 = now_s();
  if (rc != 0) throw std::runtime_error("posix_spawn " + program + ": " + std::strerror(rc));
  reap(p);
  return (t1 - t0) * 1e6;
}

// A latency pass: iterations until pass_s has gone (5 to 2,000), their median.
double latency_pass(const std::function<double()>& once, double pass_s, long& iterations) {
  std::vector<double> v;
  const double start = now_s();
  while (static_cast<long>(v.size()) < kMinIterations ||
         (static_cast<long>(v.size()) < kMaxIterations && now_s() - start < pass_s))
    v.push_back(once());
  iterations = static_cast<long>(v.size());
  return median_of(v);
}

// What a worker process writes back on its pipe (one write, under PIPE_BUF).
struct WorkerResult {
  long count = 0;
  double elapsed_s = 0;
  int error = 0;  // errno of a fork that failed, 0 if none
};

bool write_all(int fd, const void* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p = static_cast<const char*>(p) + w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p = static_cast<char*>(p) + r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// fork + _exit + waitpid until the deadline, one child at a time.
WorkerResult fork_loop(double seconds) {
  WorkerResult r;
  const double start = now_s();
  while (now_s() - start < seconds) {
    const pid_t p = fork();
    if (p == 0) _exit(0);
    if (p < 0) {
      r.error = errno;
      break;
    }
    int st = 0;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
    }
    ++r.count;
  }
  r.elapsed_s = now_s() - start;
  return r;
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe"));
  }
  ~Pipe() { close_both(); }
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
  void close_both() { close_end(0), close_end(1); }
};

// A worker process: waits until `go` closes (all start together; a parent
// that dies closes it too, so a worker never waits for ever), runs `body`,
// writes its result and exits. Returns its pid.
pid_t start_worker(Pipe& go, Pipe& results, const std::function<WorkerResult()>& body) {
  const pid_t p = fork();
  if (p < 0) throw std::runtime_error(errno_text("fork (a throughput worker)"));
  if (p > 0) return p;
  go.close_end(1);
  char c;
  while (read(go.fd[0], &c, 1) < 0 && errno == EINTR) {
  }
  WorkerResult r = body();
  write_all(results.fd[1], &r, sizeof r);
  _exit(0);
}

// Forks a second throughout, summed over the workers (each its own count
// over its own elapsed time: they start together, end near together).
double rate_pass(const BenchCase& c, double seconds, long& counted) {
  Pipe go, results;
  const int workers = c.processes;
  const int threads = c.threads;
  std::vector<pid_t> pids;
  for (int i = 0; i < workers; ++i)
    pids.push_back(start_worker(go, results, [seconds, threads] {
      if (threads <= 1) return fork_loop(seconds);
      // One process, `threads` threads each in its own loop.
      std::vector<WorkerResult> each(static_cast<std::size_t>(threads));
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t) ts.emplace_back([&each, t, seconds] { each[t] = fork_loop(seconds); });
      for (auto& t : ts) t.join();
      WorkerResult sum;
      for (const WorkerResult& r : each) {
        sum.count += r.count;
        sum.elapsed_s = std::max(sum.elapsed_s, r.elapsed_s);
        if (r.error) sum.error = r.error;
      }
      return sum;
    }));
  go.close_both();
  results.close_end(1);
  double rate = 0;
  counted = 0;
  int error = 0;
  for (int i = 0; i < workers; ++i) {
    WorkerResult r;
    if (!read_all(results.fd[0], &r, sizeof r)) error = error ? error : EPIPE;
    if (r.error) error = r.error;
    if (r.elapsed_s > 0) rate += r.count / r.elapsed_s;
    counted += r.count;
  }
  for (pid_t p : pids) reap(p);
  if (error) throw std::runtime_error(std::string("a throughput worker's fork failed: ") + std::strerror(error));
  return rate;
}

// The process limit: a child of its own, limited to 0 processes, so that
// each fork fails with EAGAIN. Linux does not apply RLIMIT_NPROC to root
// (or to CAP_SYS_RESOURCE / CAP_SYS_ADMIN), so as root the child first
// gives up its privileges for uid/gid 65534 (nobody): irreversible, but
// that child only counts failures and exits, and the limit is its own.
// Returns failures a second, or "" in `skipped` with the reason.
double nproc_fail_pass(double seconds, long& counted, std::string& skipped) {
  Pipe results;
  const pid_t p = fork();
  if (p < 0) throw std::runtime_error(errno_text("fork (the process-limit child)"));
  if (p == 0) {
    results.close_end(0);
    struct Out { WorkerResult r; char why[160]; } out{};
    auto give_up = [&](const std::string& why) {
      std::snprintf(out.why, sizeof out.why, "%s", why.c_str());
      write_all(results.fd[1], &out, sizeof out);
      _exit(0);
    };
    if (geteuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
      give_up(std::string("as root RLIMIT_NPROC is not enforced on Linux, and giving up root for "
                          "uid 65534 failed (") + std::strerror(errno) + ")");
    const rlimit zero{0, 0};
    if (setrlimit(RLIMIT_NPROC, &zero) != 0) give_up(errno_text("setrlimit(RLIMIT_NPROC)"));
    const double start = now_s();
    while (now_s() - start < seconds) {
      const pid_t q = fork();
      if (q == 0) _exit(0);
      if (q > 0) {
        reap(q);
        give_up("fork succeeded at RLIMIT_NPROC 0: the limit is not enforced here "
                "(a capability such as CAP_SYS_RESOURCE)");
      }
      if (errno != EAGAIN) give_up(errno_text("fork failed, but not with EAGAIN"));
      ++out.r.count;
    }
    out.r.elapsed_s = now_s() - start;
    write_all(results.fd[1], &out, sizeof out);
    _exit(0);
  }
  results.close_end(1);
  struct { WorkerResult r; char why[160]; } in{};
  const bool got = read_all(results.fd[0], &in, sizeof in);
  reap(p);
  if (!got) throw std::runtime_error("the process-limit child ended without a result");
  counted = in.r.count;
  skipped = in.why;
  return in.r.elapsed_s > 0 ? in.r.count / in.r.elapsed_s : 0;
}

}  // namespace

const char* bench_kind_name(BenchKind k) {
  switch (k) {
    case BenchKind::ForkCall: return "fork_call";
    case BenchKind::ForkWait: return "fork_wait";
    case BenchKind::VforkCall: return "vfork_call";
    case BenchKind::SpawnCall: return "spawn_call";
    case BenchKind::ForkRate: return "fork_rate";
    case BenchKind::NprocFail: return "nproc_fail";
  }
  return "?";
}

const BenchKind* bench_kind_of(const std::string& name) {
  static const BenchKind all[] = {BenchKind::ForkCall, BenchKind::ForkWait, BenchKind::VforkCall,
                                  BenchKind::SpawnCall, BenchKind::ForkRate, BenchKind::NprocFail};
  for (const BenchKind& k : all)
    if (name == bench_kind_name(k)) return &k;
  return nullptr;
}

const char* bench_unit(BenchKind k) {
  return k == BenchKind::ForkRate || k == BenchKind::NprocFail ? "per s" : "us";
}

std::string bench_label(const BenchCase& c) {
  std::string s = bench_kind_name(c.kind);
  auto num = [](double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return std::string(b);
  };
  if (c.kind == BenchKind::ForkRate) {
    s += " " + std::to_string(c.processes) + (c.processes == 1 ? " process" : " processes");
    if (c.threads > 1) s += " x " + std::to_string(c.threads) + " threads";
    if (c.size_mb > 0) s += ", " + num(c.size_mb) + " MB";
  } else if (c.kind != BenchKind::NprocFail) {
    s += " " + num(c.size_mb) + " MB";
  }
  return s;
}

double bench_estimate_s(const std::vector<BenchCase>& cases, const BenchPlan& plan) {
  double s = 0, mapped = -1;
  for (const BenchCase& c : cases) {
    if (c.size_mb != mapped) s += c.size_mb * 0.5e-3, mapped = c.size_mb;  // touching, ~0.5 ms a MB
    const bool rate = c.kind == BenchKind::ForkRate || c.kind == BenchKind::NprocFail;
    // The latencies' floor of 5 iterations: ~40 us per MB for fork + wait.
    s += plan.passes * (rate ? plan.rate_s : std::max(plan.pass_s, 5 * 40e-6 * c.size_mb));
  }
  return s;
}

std::vector<BenchFigure> run_bench(const std::vector<BenchCase>& cases, const BenchPlan& plan,
                                   const std::function<void(std::size_t, const BenchFigure&)>& progress) {
  std::vector<BenchFigure> out;
  std::unique_ptr<Region> region;
  double mapped = -1;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const BenchCase& c = cases[i];
    BenchFigure f;
    f.c = c;
    if (c.size_mb != mapped) {
      region.reset();
      region = std::make_unique<Region>(c.size_mb);
      mapped = c.size_mb;
    }
    if (c.kind == BenchKind::SpawnCall && access(plan.spawn_program.c_str(), X_OK) != 0)
      f.skipped = plan.spawn_program + " is not an executable here";
    try {
      for (int p = 0; p < plan.passes && f.skipped.empty(); ++p) {
        long n = 0;
        double v = 0;
        switch (c.kind) {
          case BenchKind::ForkCall: v = latency_pass(fork_call_us, plan.pass_s, n); break;
          case BenchKind::ForkWait: v = latency_pass(fork_wait_us, plan.pass_s, n); break;
          case BenchKind::VforkCall: v = latency_pass(vfork_call_us, plan.pass_s, n); break;
          case BenchKind::SpawnCall:
            v = latency_pass([&plan] { return spawn_call_us(plan.spawn_program); }, plan.pass_s, n);
            break;
          case BenchKind::ForkRate: v = rate_pass(c, plan.rate_s, n); break;
          case BenchKind::NprocFail: v = nproc_fail_pass(plan.rate_s, n, f.skipped); break;
        }
        if (!f.skipped.empty()) break;
        f.passes.push_back(v);
        f.iterations = std::max(f.iterations, n);
      }
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(bench_label(c) + ": " + e.what());
    }
    if (f.skipped.empty()) {
      f.median = median_of(f.passes);
      f.lo = *std::min_element(f.passes.begin(), f.passes.end());
      f.hi = *std::max_element(f.passes.begin(), f.passes.end());
    } else {
      f.passes.clear();
    }
    out.push_back(f);
    if (progress) progress(i, out.back());
  }
  return out;
}

nlohmann::json bench_figure_json(const BenchFigure& f) {
  nlohmann::json j = {{"kind", bench_kind_name(f.c.kind)}, {"size_mb", f.c.size_mb},
                      {"processes", f.c.processes},       {"threads", f.c.threads},
                      {"unit", bench_unit(f.c.kind)}};
  if (!f.skipped.empty()) {
    j["skipped"] = f.skipped;
    return j;
  }
  j["median"] = f.median;
  j["lo"] = f.lo;
  j["hi"] = f.hi;
  j["passes"] = f.passes;
  j["iterations"] = f.iterations;
  return j;
}

BenchFigure bench_figure_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a figure must be an object");
  auto number = [&j](const char* k, double lo) {
    if (!j.contains(k) || !j[k].is_number() || !std::isfinite(j[k].get<double>()) || j[k].get<double>() < lo)
      throw std::invalid_argument(std::string(k) + " must be a number >= " + std::to_string(static_cast<int>(lo)));
    return j[k].get<double>();
  };
  if (!j.contains("kind") || !j["kind"].is_string() || !bench_kind_of(j["kind"].get<std::string>()))
    throw std::invalid_argument("kind must be one of fork_call, fork_wait, vfork_call, spawn_call, "
                                "fork_rate, nproc_fail");
  BenchFigure f;
  f.c.kind = *bench_kind_of(j["kind"].get<std::string>());
  f.c.size_mb = number("size_mb", 0);
  f.c.processes = static_cast<int>(number("processes", 1));
  f.c.threads = static_cast<int>(number("threads", 1));
  if (j.contains("skipped")) {
    if (!j["skipped"].is_string()) throw std::invalid_argument("skipped must be a string");
    f.skipped = j["skipped"].get<std::string>();
    return f;
  }
  f.median = number("median", 0);
  f.lo = number("lo", 0);
  f.hi = number("hi", 0);
  if (!(f.lo <= f.median && f.median <= f.hi)) throw std::invalid_argument("lo <= median <= hi must hold");
  if (j.contains("passes")) {
    if (!j["passes"].is_array()) throw std::invalid_argument("passes must be an array of numbers");
    for (const auto& v : j["passes"]) {
      if (!v.is_number()) throw std::invalid_argument("passes must be an array of numbers");
      f.passes.push_back(v.get<double>());
    }
  }
  f.iterations = static_cast<long>(number("iterations", 0));
  return f;
}

}  // namespace forksim
