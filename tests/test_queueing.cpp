// The engine layer held to queueing theory. With switch and hand-off costs
// at zero, the Dispatcher is a FIFO multi-server queue and a KMutex a FIFO
// single-server queue, so their simulated waits must match the closed forms
// of M/D/1, M/M/c and the utilization and Little laws; and the adaptive
// mutex and the priority dispatch queues must place every event at its exact
// time in small hand-made scenarios.
//
// One SimEngine per test case (one engine per process): rho = 0.5 and 0.8
// are two test cases, not SECTIONs, which would build two engines in one
// process.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/coro.hpp"
#include "sim/dispatcher.hpp"
#include "sim/dist.hpp"
#include "sim/engine.hpp"
#include "sim/kmutex.hpp"
#include "tests/support.hpp"
#include "tests/timeline.hpp"

using forksim::Co;
using forksim::Dispatcher;
using forksim::Dist;
using forksim::Kthread;
using forksim::KMutex;
using forksim::LockStats;
using forksim::SchedClass;
using forksim::Probes;
using forksim::Rng;
using forksim::SimEngine;
using forksim::test::at_time;
using forksim::test::exactly;
using forksim::test::ms;
using forksim::test::now;
using forksim::test::start_at;

namespace {

// Free hand-offs and backoff: the lock serves in arrival order (the
// backoff itself: tests/test_locks.cpp).
using forksim::test::kFreeLock;
using forksim::test::kZeroCost;

// The machine: engine, probes with a window, a dispatcher with free context
// switches, and a lock with a free hand-off.
struct QueueMachine {
  SimEngine eng;
  Probes probes;
  Dispatcher disp;
  LockStats lock_stats;
  KMutex lock{"lock", lock_stats, kFreeLock};

  QueueMachine(int ncpus, double window_start, double window_end)
      : probes(forksim::test::probes_over(window_start, window_end)),
        disp(ncpus, probes, kZeroCost) {}
  double window_s() const { return probes.window_end_s - probes.window_start_s; }

  void run() { eng.run(); }
};

// Batch means: the mean of x and the half-width of its 95% confidence
// interval, from k batches of consecutive values (Student t, k - 1 degrees
// of freedom). Consecutive response times are correlated; batches much
// longer than the queue's relaxation time are close to independent, so the
// spread of their means measures the run's statistical error honestly.
struct BatchMeans {
  double mean = 0;
  double half_width = 0;

  explicit BatchMeans(const std::vector<double>& x) {
    constexpr int k = 20;
    constexpr double t_975_19 = 2.093;
    for (double v : x) mean += v;
    mean /= x.size();
    // The last x.size() % k values are in the mean but in no batch.
    const size_t n = x.size() / k;
    double sum = 0, sum2 = 0;
    for (int b = 0; b < k; ++b) {
      double s = 0;
      for (size_t i = b * n; i < (b + 1) * n; ++i) s += x[i];
      sum += s / n;
      sum2 += (s / n) * (s / n);
    }
    double var = (sum2 - sum * sum / k) / (k - 1);  // of one batch mean
    half_width = t_975_19 * std::sqrt(var / k);
  }
};

// A simulated mean against theory: inside three half-widths of the 95%
// interval, i.e. 6.3 standard errors (a correct engine fails it for about
// one seed in 10^5, and the seeds are fixed), and within 5%, so that a
// loose interval cannot let a wrong answer through. The measured
// half-widths are 0.5% (M/D/1, rho 0.5) to 2.6% (lock) of the mean.
void check_mean(const BatchMeans& bm, double theory) {
  CAPTURE(bm.mean, bm.half_width, theory);
  CHECK(std::abs(bm.mean - theory) < 3 * bm.half_width);
  CHECK(std::abs(bm.mean - theory) < 0.05 * theory);
}

// An open system: jobs arrive as a Poisson process of rate lambda, each with a service time drawn from `service`, and are
// served by `body` in a thread from a pool (one Kthread and one coroutine
// per worker, reused; an idle worker waits in its thread's block()).
// body(t, service_s) starts and ends off CPU and returns when the job's
// service began. For the jobs arriving inside the window it records, in
// arrival order, the response time (arrival to departure) and the start of
// service, and it integrates the number of jobs in the system over the
// window. Arrivals go on for a second after the window, so that the window
// cuts a loaded system at both ends (bookkeeping at its edges is tested),
// and the run goes on until the last job has left, so that the engine's
// probes account for every job of the window.
class OpenSystem {
 public:
  using Body = std::function<Co<double>(Kthread&, double service_s)>;

  OpenSystem(QueueMachine& m, double lambda, Dist service, Body body)
      : m_(m), lambda_(lambda), service_(service), body_(std::move(body)) {}

  void run(uint64_t seed) {
    forksim::spawn(source(seed));
    m_.run();
  }

  std::vector<double> response;
  std::vector<double> start;
  double number_area = 0;  // integral of the number in system over the window

 private:
  struct Worker {
    Worker(Dispatcher& d, int id) : t(d, id) {}
    Kthread t;  // t.wake() gives the worker a job (or stop), t.block() waits for one
    double arrival = 0;
    double service = 0;
    long slot = -1;  // index into response/start; -1: arrived outside the window
    bool stop = false;
  };

  Co<void> source(uint64_t seed) {
    Rng arrivals(seed), services(seed + 1);
    for (;;) {
      double t = now() + arrivals.exponential(1 / lambda_);
      if (t > m_.probes.window_end_s + 1) break;
      co_await SimEngine::wait_until(t);
      Worker* w;
      if (idle_.empty()) {
        w = hire();
      } else {
        w = idle_.back();
        idle_.pop_back();
      }
      w->arrival = now();
      w->service = service_.sample(services);
      w->slot = -1;
      if (m_.probes.in_window(now())) {
        w->slot = static_cast<long>(response.size());
        response.push_back(0);
        start.push_back(0);
      }
      count(+1);
      w->t.wake();
    }
    closing_ = true;
    for (Worker* w : idle_) {
      w->stop = true;
      w->t.wake();
    }
  }

  Worker* hire() {
    pool_.push_back(std::make_unique<Worker>(m_.disp, static_cast<int>(pool_.size())));
    Worker* w = pool_.back().get();
    forksim::spawn(work(w));
    return w;
  }

  Co<void> work(Worker* w) {
    for (;;) {
      co_await w->t.block();
      if (w->stop) co_return;
      double began = co_await body_(w->t, w->service);
      count(-1);
      if (w->slot >= 0) {
        response[w->slot] = now() - w->arrival;
        start[w->slot] = began;
      }
      if (closing_) co_return;
      idle_.push_back(w);
    }
  }

  void count(int delta) {
    number_area += in_system_ * forksim::window_overlap(m_.probes, last_change_, now());
    last_change_ = now();
    in_system_ += delta;
  }

  QueueMachine& m_;
  double lambda_;
  Dist service_;
  Body body_;
  std::vector<std::unique_ptr<Worker>> pool_;
  std::vector<Worker*> idle_;
  bool closing_ = false;
  int in_system_ = 0;
  double last_change_ = 0;
};

// A job of a CPU queue: get a CPU at user priority, run, leave.
Co<double> cpu_job_body(Dispatcher& d, Kthread& t, double service_s) {
  co_await d.run(t);
  double began = now();
  co_await t.charge(service_s * 1e9);
  co_await t.flush();
  d.release(t);
  co_return began;
}

// The lambda only forwards: the coroutine is a function whose frame holds
// its own parameters, not a lambda's captures.
OpenSystem::Body cpu_job(Dispatcher& d) {
  return [&d](Kthread& t, double service_s) { return cpu_job_body(d, t, service_s); };
}

// Checks shared by the open systems, whatever their theory:
// - FIFO: service starts in arrival order (the mean of a work-conserving
//   queue does not depend on the order, so the means alone would not see a
//   LIFO run queue or lock);
// - the engine's probes see the same number in system as the jobs: every
//   job is on a CPU or in the run queue, so the integral of the number in
//   system is cpu_busy_s + runq_wait_sum_s, up to rounding;
// - Little's law on the sample path, L = lambda W with the observed arrival
//   rate and mean response: exact but for the jobs straddling the window's
//   edges, a few in 10^5 of the total here, so 0.1% is generous;
// - one dispatch per job, counted in the window: jobs keep their CPU to the
//   end, so the count is the jobs', but for the few queued across the
//   window's edges.
void check_open_system(const QueueMachine& m, const OpenSystem& sys) {
  size_t out_of_order = 0;
  for (size_t i = 1; i < sys.start.size(); ++i)
    if (sys.start[i] < sys.start[i - 1]) ++out_of_order;
  CHECK(out_of_order == 0);

  CHECK(sys.number_area ==
        Approx(m.probes.cpu_busy_s + m.probes.runq_wait_sum_s).epsilon(1e-9));

  double T = m.window_s();
  double lambda_seen = sys.response.size() / T;
  double w_seen = BatchMeans(sys.response).mean;
  double L = sys.number_area / T;
  CAPTURE(L, lambda_seen, w_seen);
  CHECK(L == Approx(lambda_seen * w_seen).epsilon(1e-3));
  CHECK(m.probes.dispatches == Approx(sys.response.size()).epsilon(1e-3));
}

// M/D/1 on one CPU: Poisson arrivals, service D = 1 ms. Pollaczek-Khinchine:
// mean response = D + lambda D^2 / (2 (1 - rho)). Utilization law: the CPU
// is busy a fraction rho of the time; the Poisson count of arrivals in the
// window (about 2 * 10^5) alone gives a relative error of about 0.2%, so
// 2% leaves room for the busy periods' correlation and fails a CPU that is
// over- or under-counted.
void check_md1(double rho, uint64_t seed) {
  const double D = 1e-3, lambda = rho / D;
  const double warmup = 5, T = 2e5 / lambda;  // warm-up: hundreds of relaxation times
  QueueMachine m(1, warmup, warmup + T);
  OpenSystem sys(m, lambda, Dist::fixed(D), cpu_job(m.disp));
  sys.run(seed);

  check_mean(BatchMeans(sys.response), D + lambda * D * D / (2 * (1 - rho)));
  CHECK(m.probes.cpu_busy_s / T == Approx(rho).epsilon(0.02));
  check_open_system(m, sys);
}

}  // namespace

// M/D/1 at rho = 0.5 (theory: mean response 1.5 ms). Tolerances: check_md1.
TEST_CASE("one CPU is an M/D/1 queue at rho 0.5", "[queueing]") { check_md1(0.5, 11); }

// M/D/1 at rho = 0.8 (theory: mean response 3 ms). Tolerances: check_md1.
TEST_CASE("one CPU is an M/D/1 queue at rho 0.8", "[queueing]") { check_md1(0.8, 12); }

// M/M/2 on two CPUs: exponential service of mean S, rho = 0.7 per CPU,
// offered load a = lambda S = 1.4. Mean response = S + C(2, a) S / (2 - a),
// with Erlang C computed from its formula. A dispatcher that let more than
// ncpus run, idled a CPU with a thread waiting, or served the queue out of
// order would fail here. Tolerances as for M/D/1: the confidence interval
// from batch means and 5%; utilization per CPU within 2%.
TEST_CASE("two CPUs are an M/M/2 queue", "[queueing]") {
  const int c = 2;
  const double S = 1e-3, rho = 0.7, lambda = rho * c / S, a = lambda * S;
  const double warmup = 5, T = 2e5 / lambda;
  QueueMachine m(c, warmup, warmup + T);
  OpenSystem sys(m, lambda, Dist::exponential(S), cpu_job(m.disp));
  sys.run(21);

  double erlang_c = forksim::test::erlang_c(c, a);
  CAPTURE(erlang_c);
  check_mean(BatchMeans(sys.response), S + erlang_c * S / (c - a));
  CHECK(m.probes.cpu_busy_s / (c * T) == Approx(rho).epsilon(0.02));
  check_open_system(m, sys);
}

namespace {

// A job of a lock queue: get a CPU at user priority, hold the lock
// `hold_s`, leave.
Co<double> lock_job_body(QueueMachine& m, Kthread& t, double hold_s) {
  co_await m.disp.run(t);
  co_await m.lock.enter(t, 0);
  double began = now();
  co_await t.charge(hold_s * 1e9);
  co_await t.flush();
  co_await m.lock.exit(t);
  m.disp.release(t);
  co_return began;
}

}  // namespace

// A mutex with a free backoff step (kFreeLock: the first to come wins each
// release, so the queue is FIFO; mutex.c's order with a real step, the
// first to look, is tested in tests/test_locks.cpp) is an M/D/1 queue:
// threads that already run (64 CPUs, so the CPU
// never queues) arrive as a Poisson process and hold the lock D = 1 ms,
// rho = 0.7. Theory: the mean wait over all acquisitions (zero for the
// uncontended ones) is lambda D^2 / (2 (1 - rho)) = 1.17 ms, an arrival
// finds the lock held with probability rho (PASTA), the mean hold is D and
// the lock is held a fraction rho of the time (utilization law). The waits
// are checked against the confidence interval of the per-job waits (batch
// means, as above), and the lock's statistics must equal the jobs' own
// timing to rounding. Owners never leave their CPU while holding, so every
// waiter spins all its wait, and a CPU is busy exactly while its thread
// holds the lock or spins: spin_cpu_s equals wait_sum_s but for the waits
// cut by the window's edges (1% is generous), and cpu_busy_s equals
// hold_sum_s + spin_cpu_s to rounding.
TEST_CASE("a mutex is an M/D/1 queue whose waiters spin", "[queueing]") {
  const double D = 1e-3, rho = 0.7, lambda = rho / D;
  const double warmup = 5, T = 2e5 / lambda;
  QueueMachine m(64, warmup, warmup + T);
  OpenSystem sys(m, lambda, Dist::fixed(D),
                 [&m](Kthread& t, double hold_s) { return lock_job_body(m, t, hold_s); });
  sys.run(31);

  const LockStats& ls = m.lock_stats;
  std::vector<double> waits;
  for (double r : sys.response) waits.push_back(r - D);
  BatchMeans bm(waits);
  check_mean(bm, lambda * D * D / (2 * (1 - rho)));

  CHECK(ls.acquisitions == sys.response.size());
  CHECK(ls.wait_sum_s / ls.acquisitions == Approx(bm.mean).epsilon(1e-9));
  CHECK(static_cast<double>(ls.contended) / ls.acquisitions == Approx(rho).epsilon(0.02));
  CHECK(ls.hold_sum_s / ls.acquisitions == Approx(D).epsilon(1e-3));
  CHECK(ls.hold_sum_s / T == Approx(rho).epsilon(0.02));
  CHECK(ls.wait_max_s > 5 * D);
  CHECK(ls.spin_cpu_s == Approx(ls.wait_sum_s).epsilon(0.01));
  CHECK(m.probes.cpu_busy_s == Approx(ls.hold_sum_s + ls.spin_cpu_s).epsilon(1e-9));
  CHECK(m.probes.runq_wait_sum_s == 0);
  check_open_system(m, sys);
}

namespace {

// Exact scenarios: times in ms, compared within 1 ns (tests/timeline.hpp).

// A thread that asks for a CPU at time `at` at SYS priority `pri`, works
// `work` seconds and leaves; *began gets the time it obtained the CPU.
Co<void> cpu_burst_body(QueueMachine& m, Kthread& t, double at, int pri, double work, double* began) {
  co_await start_at(at);
  t.set_class(SchedClass::SYS, pri);
  co_await m.disp.run(t);
  *began = now();
  co_await t.charge(work * 1e9);
  co_await t.flush();
  m.disp.release(t);
}

constexpr int kSys = forksim::kMinClSysPri;

void cpu_burst(QueueMachine& m, Kthread& t, double at, int pri, double work, double* began) {
  forksim::spawn(cpu_burst_body(m, t, at, pri, work, began));
}

// A of the mutex tests below: the lock at 0, `work_s` of work on CPU
// holding it, then off CPU, still holding it, until 1 ms.
Co<void> a_holds_until_1ms(QueueMachine& m, Kthread& a, double work_s) {
  co_await m.disp.run(a);
  co_await m.lock.enter(a, 0);
  co_await a.charge(work_s * 1e9);
  co_await a.sleep_until(1 * ms);
  co_await m.lock.exit(a);
  m.disp.release(a);
}

// B of the mutex tests below: a CPU at 0.25 ms, `before_s` of work, then
// the lock, held for `held_s` of work.
Co<void> b_locks_at_quarter_ms(QueueMachine& m, Kthread& b, double* b_got, double before_s,
                               double held_s) {
  co_await start_at(0.25 * ms);
  co_await m.disp.run(b);
  co_await b.charge(before_s * 1e9);
  co_await m.lock.enter(b, 0);
  *b_got = now();
  co_await b.charge(held_s * 1e9);
  co_await m.lock.exit(b);
  m.disp.release(b);
}

}  // namespace

// Adaptive mutex, owner off CPU: a waiter sleeps rather than spins, and its
// CPU goes at once to a thread queued for one. Two CPUs, F busy on one
// throughout. A takes the lock at 0 and sleeps off CPU, holding it, until
// 1 ms. B gets the free CPU at 0.25 ms, works to 0.5 ms and tries the lock;
// C has queued for a CPU since 0.3 ms. Exact: B sleeps (no spin at all), C
// runs from 0.5 ms, and when A comes back at 1 ms and releases the lock, B
// (made runnable) gets A's CPU and the lock at 1 ms.
TEST_CASE("a waiter sleeps when the owner is off CPU and frees its CPU", "[queueing]") {
  QueueMachine m(2, 0, 1);
  Kthread a(m.disp, 1), b(m.disp, 2), c(m.disp, 3), f(m.disp, 4);
  double f_began = -1, c_began = -1, b_got = -1;
  Kthread::State b_state_then = Kthread::State::New;
  int busy_then = -1;
  cpu_burst(m, f, 0, kSys, 5 * ms, &f_began);
  forksim::spawn(a_holds_until_1ms(m, a, 0));
  forksim::spawn(b_locks_at_quarter_ms(m, b, &b_got, 0.25 * ms, 0));
  cpu_burst(m, c, 0.3 * ms, kSys, 0.2 * ms, &c_began);
  at_time(0.6 * ms, [&] {
    b_state_then = b.state();
    busy_then = m.disp.busy();
  });
  m.run();

  CHECK(f_began == exactly(0));
  CHECK(c_began == exactly(0.5 * ms));
  CHECK(b_got == exactly(1 * ms));
  CHECK(b_state_then == Kthread::State::LockSleep);
  CHECK(busy_then == 2);  // F and C
  CHECK(m.lock_stats.acquisitions == 2);
  CHECK(m.lock_stats.contended == 1);
  CHECK(m.lock_stats.spin_cpu_s == 0);
  CHECK(m.lock_stats.wait_sum_s == exactly(0.5 * ms));
  CHECK(m.lock_stats.hold_sum_s == exactly(1 * ms));
  CHECK(m.probes.runq_wait_sum_s == exactly(0.2 * ms));              // C
  CHECK(m.probes.cpu_busy_s == exactly(5 * ms + 0.25 * ms + 0.2 * ms));  // F, B, C
}

namespace {

// A of the test below: the lock at 0, held on CPU for 1 ms of work.
Co<void> spinner_a_holds_on_cpu(QueueMachine& m, Kthread& a) {
  co_await m.disp.run(a);
  co_await m.lock.enter(a, 0);
  co_await a.charge(1 * ms * 1e9);
  co_await m.lock.exit(a);
  m.disp.release(a);
}

}  // namespace

// Adaptive mutex, owner on CPU: a waiter spins on its CPU until the owner
// releases, and gets the lock at that instant. Two CPUs. A holds the lock on
// CPU from 0 to 1 ms; B tries it at 0.25 ms and spins 0.75 ms; C, wanting a
// CPU at 0.5 ms, waits for A's CPU at 1 ms because B keeps its own.
TEST_CASE("a waiter spins while the owner runs and keeps its CPU", "[queueing]") {
  QueueMachine m(2, 0, 1);
  Kthread a(m.disp, 1), b(m.disp, 2), c(m.disp, 3);
  double b_got = -1, c_began = -1;
  Kthread::State b_state_then = Kthread::State::New;
  forksim::spawn(spinner_a_holds_on_cpu(m, a));
  forksim::spawn(b_locks_at_quarter_ms(m, b, &b_got, 0, 0.5 * ms));
  cpu_burst(m, c, 0.5 * ms, kSys, 0.1 * ms, &c_began);
  at_time(0.6 * ms, [&] { b_state_then = b.state(); });
  m.run();

  CHECK(b_state_then == Kthread::State::Spinning);
  CHECK(b_got == exactly(1 * ms));
  CHECK(c_began == exactly(1 * ms));
  CHECK(m.lock_stats.contended == 1);
  CHECK(m.lock_stats.spin_cpu_s == exactly(0.75 * ms));
  CHECK(m.lock_stats.wait_sum_s == exactly(0.75 * ms));
  CHECK(m.lock_stats.hold_sum_s == exactly(1.5 * ms));
  CHECK(m.probes.runq_wait_sum_s == exactly(0.5 * ms));                    // C
  CHECK(m.probes.cpu_busy_s == exactly(1 * ms + 1.25 * ms + 0.1 * ms));  // A, B, C
}

// Adaptive mutex, owner leaves its CPU mid-spin: the spinner stops spinning
// and sleeps, and both CPUs go to the threads queued for them. Two CPUs. A
// holds the lock on CPU from 0, and at 0.5 ms sleeps off CPU, still holding
// it, until 1 ms. B spins from 0.25 ms to 0.5 ms (exactly 0.25 ms of spin),
// then sleeps. C (queued at 0.3 ms) and D (0.4 ms) both start at 0.5 ms.
// At 1 ms A releases the lock and B, woken onto the free CPU, has it.
TEST_CASE("a spinner sleeps when the owner leaves its CPU", "[queueing]") {
  QueueMachine m(2, 0, 1);
  Kthread a(m.disp, 1), b(m.disp, 2), c(m.disp, 3), d(m.disp, 4);
  double b_got = -1, c_began = -1, d_began = -1;
  forksim::spawn(a_holds_until_1ms(m, a, 0.5 * ms));
  forksim::spawn(b_locks_at_quarter_ms(m, b, &b_got, 0, 0));
  cpu_burst(m, c, 0.3 * ms, kSys, 0.2 * ms, &c_began);
  cpu_burst(m, d, 0.4 * ms, kSys, 0.2 * ms, &d_began);
  m.run();

  CHECK(c_began == exactly(0.5 * ms));
  CHECK(d_began == exactly(0.5 * ms));
  CHECK(b_got == exactly(1 * ms));
  CHECK(m.lock_stats.contended == 1);
  CHECK(m.lock_stats.spin_cpu_s == exactly(0.25 * ms));
  CHECK(m.lock_stats.wait_sum_s == exactly(0.75 * ms));
  CHECK(m.probes.runq_wait_sum_s == exactly(0.2 * ms + 0.1 * ms));  // C, D
  CHECK(m.probes.cpu_busy_s == exactly(0.5 * ms + 0.25 * ms + 0.4 * ms));  // A, B, C+D
}

// Dispatch queues by priority: on one CPU busy until 1 ms, SYS threads U1,
// U2 at priority 60 and K1, K2 at 61 queue in the order U1 (0.1 ms), K1
// (0.2), U2 (0.3), K2 (0.4), each to run 0.5 ms of kernel work (which a SYS
// thread below kpreemptpri does not preempt). The higher level goes first,
// each level first come first served: K1 at 1 ms, K2 at 1.5, U1 at 2, U2
// at 2.5.
TEST_CASE("a higher priority runs first and each priority first come first served", "[queueing]") {
  QueueMachine m(1, 0, 1);
  Kthread h(m.disp, 1), u1(m.disp, 2), k1(m.disp, 3), u2(m.disp, 4), k2(m.disp, 5);
  double h0 = -1, u1_0 = -1, k1_0 = -1, u2_0 = -1, k2_0 = -1;
  cpu_burst(m, h, 0, kSys, 1 * ms, &h0);
  cpu_burst(m, u1, 0.1 * ms, kSys, 0.5 * ms, &u1_0);
  cpu_burst(m, k1, 0.2 * ms, kSys + 1, 0.5 * ms, &k1_0);
  cpu_burst(m, u2, 0.3 * ms, kSys, 0.5 * ms, &u2_0);
  cpu_burst(m, k2, 0.4 * ms, kSys + 1, 0.5 * ms, &k2_0);
  m.run();

  CHECK(h0 == exactly(0));
  CHECK(k1_0 == exactly(1 * ms));
  CHECK(k2_0 == exactly(1.5 * ms));
  CHECK(u1_0 == exactly(2 * ms));
  CHECK(u2_0 == exactly(2.5 * ms));
  CHECK(m.probes.dispatches == 5);
  CHECK(m.probes.runq_wait_sum_s == exactly((1.9 + 0.8 + 2.2 + 1.1) * ms));
  CHECK(m.probes.cpu_busy_s == exactly(3 * ms));
}
