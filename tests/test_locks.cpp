// The kernel's lock behaviour (os/condvar.c, os/mutex.c) held to the model:
// cv_wait's order, mutex_vector_exit waking every sleeper, the idle gap the
// spinners' randomized backoff leaves after a release, and what that does
// to throughput past pidlock's saturation.
//
// One SimEngine per test case (one engine per process).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/coro.hpp"
#include "sim/dispatcher.hpp"
#include "sim/dist.hpp"
#include "sim/engine.hpp"
#include "sim/kcondvar.hpp"
#include "sim/kmutex.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/workload.hpp"
#include "tests/support.hpp"
#include "tests/timeline.hpp"

using forksim::Co;
using forksim::Dispatcher;
using forksim::KCondVar;
using forksim::KMutex;
using forksim::Kthread;
using forksim::LockStats;
using forksim::MutexCosts;
using forksim::Probes;
using forksim::Rng;
using forksim::SimEngine;
using forksim::test::at_time;
using forksim::test::exactly;
using forksim::test::ms;
using forksim::test::now;
using forksim::test::start_at;

namespace {

using forksim::test::kZeroCost;

// Engine, probes over [0, 1 s], free context switches, one mutex whose
// backoff step lasts `unit_ns` with draws from `seed`.
struct LockMachine {
  SimEngine eng;
  Probes probes;
  Dispatcher disp;
  Rng rng;
  MutexCosts costs;
  LockStats lock_stats;
  KMutex lock{"lock", lock_stats, costs};

  LockMachine(int ncpus, double unit_ns, uint64_t seed = 1)
      : probes(forksim::test::probes_over(0, 1e9)), disp(ncpus, probes, kZeroCost), rng(seed),
        costs{kZeroCost, unit_ns, &rng} {}
};

// W: the mutex at 0, 0.1 ms of work, then cv_wait on it; signalled at
// 0.3 ms, it takes the mutex again and leaves. Its caller is site 5.
Co<void> cv_waiter(LockMachine& m, KCondVar& cv, Kthread& w, double* back) {
  co_await m.disp.run(w);
  co_await m.lock.enter(w, 5);
  co_await w.charge(0.1 * ms * 1e9);
  co_await cv.wait(w, m.lock);
  *back = now();
  co_await m.lock.exit(w);
  m.disp.release(w);
}

// A thread that wants a CPU at `at`, then the mutex, holds it `hold_s` of
// work and leaves; *got is when it had the mutex, *released (if given)
// when it let it go.
Co<void> locker(LockMachine& m, Kthread& s, double at, double hold_s, double* got,
                double* released = nullptr) {
  co_await start_at(at);
  co_await m.disp.run(s);
  co_await m.lock.enter(s, 0);
  *got = now();
  co_await s.charge(hold_s * 1e9);
  co_await m.lock.exit(s);
  if (released) *released = now();
  m.disp.release(s);
}

}  // namespace

// condvar.c cv_wait: cv_block, then mutex_exit while the waiter still runs,
// then swtch. Two CPUs, free backoff. W holds the mutex on CPU from 0 and
// calls cv_wait at 0.1 ms; S tries the mutex at 0.05 ms and spins, since W
// runs. Exact: S is handed the mutex at 0.1 ms having spun 0.05 ms and
// never slept: two dispatches in all until W is signalled (W's and S's),
// where giving up the CPU first would have sent S to sleep on the
// turnstile (a third dispatch) the instant W left. W, signalled at 0.3 ms,
// finds the mutex free (S left it at 0.2 ms) and has it at once.
TEST_CASE("cv_wait releases the mutex before the CPU, so a spinner keeps spinning", "[locks]") {
  LockMachine m(2, 0);
  KCondVar cv;
  Kthread w(m.disp, 1), s(m.disp, 2);
  double w_back = -1, s_got = -1;
  double dispatches_then = -1;
  Kthread::State s_state = Kthread::State::New;
  forksim::spawn(cv_waiter(m, cv, w, &w_back));
  forksim::spawn(locker(m, s, 0.05 * ms, 0.1 * ms, &s_got));
  at_time(0.075 * ms, [&] { s_state = s.state(); });
  at_time(0.3 * ms, [&] {
    dispatches_then = m.probes.dispatches;
    cv.signal(m.disp);
  });
  m.eng.run();

  CHECK(s_state == Kthread::State::Spinning);
  CHECK(s_got == exactly(0.1 * ms));
  CHECK(m.lock_stats.spin_cpu_s == exactly(0.05 * ms));
  CHECK(m.lock_stats.wait_sum_s == exactly(0.05 * ms));
  CHECK(dispatches_then == 2);
  CHECK(w_back == exactly(0.3 * ms));
  CHECK(m.lock_stats.acquisitions == 3);
  CHECK(m.lock_stats.contended == 1);
  // Per caller: cv_wait takes the mutex back for W's own site; S's one
  // acquisition spun 0.05 ms and never blocked.
  REQUIRE(m.lock_stats.callers.size() == 6);
  const auto& w_site = m.lock_stats.callers[5];
  CHECK(w_site.acquisitions == 2);
  CHECK(w_site.contended == 0);
  CHECK(w_site.hold_events == 2);
  CHECK(w_site.hold_s == Approx(0.1 * ms));
  const auto& s_site = m.lock_stats.callers[0];
  CHECK(s_site.acquisitions == 1);
  CHECK(s_site.spin_events == 1);
  CHECK(s_site.spin_s == Approx(0.05 * ms));
  CHECK(s_site.block_events == 0);
  CHECK(s_site.hold_s == Approx(0.1 * ms));
}

namespace {

// A: the mutex at 0, off CPU holding it until 1 ms, then 0.5 ms of work
// on CPU before releasing it.
Co<void> sleepy_owner(LockMachine& m, Kthread& a, double* released) {
  co_await m.disp.run(a);
  co_await m.lock.enter(a, 0);
  co_await a.sleep_until(1 * ms);
  co_await a.charge(0.5 * ms * 1e9);
  co_await m.lock.exit(a);
  *released = now();
  m.disp.release(a);
}

}  // namespace

// mutex_vector_exit: turnstile_wakeup of every waiter, spinners or not.
// Four CPUs, free backoff. A holds the mutex, off CPU until 1 ms; B and C
// try it at 0.25 ms and sleep on the turnstile (owner off CPU). A is back on
// CPU at 1 ms; D tries at 1.1 ms and spins. A releases at 1.5 ms: D, the
// spinner, takes it at once, and B and C are woken too: they have CPUs at
// 1.5 ms and spin behind D rather than sleep until D's release. D holds
// 0.1 ms; then B and C have it in turn.
TEST_CASE("mutex_vector_exit wakes every sleeper even when a thread spins", "[locks]") {
  LockMachine m(4, 0);
  Kthread a(m.disp, 1), b(m.disp, 2), c(m.disp, 3), d(m.disp, 4);
  double released = -1, b_got = -1, c_got = -1, d_got = -1;
  Kthread::State b_before = Kthread::State::New, b_after = b_before, c_after = b_before;
  forksim::spawn(sleepy_owner(m, a, &released));
  forksim::spawn(locker(m, b, 0.25 * ms, 0.1 * ms, &b_got));
  forksim::spawn(locker(m, c, 0.25 * ms, 0.1 * ms, &c_got));
  forksim::spawn(locker(m, d, 1.1 * ms, 0.1 * ms, &d_got));
  at_time(1.2 * ms, [&] { b_before = b.state(); });
  at_time(1.55 * ms, [&] {
    b_after = b.state();
    c_after = c.state();
  });
  m.eng.run();

  CHECK(released == exactly(1.5 * ms));
  CHECK(b_before == Kthread::State::LockSleep);
  CHECK(d_got == exactly(1.5 * ms));
  CHECK(b_after == Kthread::State::Spinning);
  CHECK(c_after == Kthread::State::Spinning);
  CHECK(std::min(b_got, c_got) == exactly(1.6 * ms));
  CHECK(std::max(b_got, c_got) == exactly(1.7 * ms));
  // B and C each dispatched twice (before and after sleeping), A twice, D once.
  CHECK(m.probes.dispatches == 7);
  // lockstat's events: B and C blocked 0.25 to 1.5 ms and then spun behind
  // D (0.1 and 0.2 ms); D spun 1.1 to 1.5 ms; A took it free. The holds:
  // A's 1.5 ms, then 0.1 ms each.
  const auto& c0 = m.lock_stats.callers.at(0);
  CHECK(c0.acquisitions == 4);
  CHECK(c0.contended == 3);
  CHECK(c0.block_events == 2);
  CHECK(c0.block_s == Approx(2 * 1.25 * ms));
  CHECK(c0.spin_events == 3);
  CHECK(c0.spin_s == Approx(0.4 * ms + 0.1 * ms + 0.2 * ms));
  CHECK(c0.hold_events == 4);
  CHECK(c0.hold_s == Approx(1.8 * ms));
  CHECK(c0.hold_max_s == Approx(1.5 * ms));
}

namespace {

// Mean of the earliest of n independent stationary residuals of a renewal
// process whose steps X are uniform on {1..b} units, in units. The
// residual's survival, S(x) = (1/E[X]) int_x^inf P(X > y) dy, is linear
// between integers (P(X > y) is a step function), so E[min] = int S^n is
// summed exactly unit by unit.
double mean_first_look(int b, int n) {
  double ex = (b + 1) / 2.0;
  std::vector<double> s(b + 1, 0.0);  // S(k)
  for (int k = b - 1; k >= 0; --k) s[k] = s[k + 1] + (b - k) / static_cast<double>(b) / ex;
  double sum = 0;
  for (int k = 0; k < b; ++k)
    sum += (std::pow(s[k], n + 1) - std::pow(s[k + 1], n + 1)) / ((n + 1) * (s[k] - s[k + 1]));
  return sum;
}

// Rounds 2 ms apart: in each, A holds the lock 1 ms from t0; spinner i
// (i = 0..n-1) comes at t0 + (i + 1) x 10 us and takes it when it can,
// releasing it at once. The gap is from A's release to the first taker.
void gap_test(int n) {
  constexpr double unit_ns = 100;
  constexpr int rounds = 4000;
  LockMachine m(n + 2, unit_ns, 7 + n);
  Kthread a(m.disp, 0);
  std::vector<std::unique_ptr<Kthread>> sp;
  for (int i = 0; i < n; ++i) sp.push_back(std::make_unique<Kthread>(m.disp, i + 1));
  std::vector<double> a_got(rounds), released(rounds), got(static_cast<size_t>(rounds) * n);
  for (int r = 0; r < rounds; ++r) {
    double t0 = r * 2 * ms;
    forksim::spawn(locker(m, a, t0, 1 * ms, &a_got[r], &released[r]));
    for (int i = 0; i < n; ++i)
      forksim::spawn(locker(m, *sp[i], t0 + (i + 1) * 0.01 * ms, 0, &got[r * n + i]));
  }
  m.eng.run();

  // Each spinner's first look (1 step after it came) saw A: backoff 4
  // (default_lock_backoff(1)), and nothing changed until the release 1 ms
  // later, ~10,000 steps on: the residuals are stationary.
  double sum = 0, sum2 = 0;
  int first_came_won = 0;
  for (int r = 0; r < rounds; ++r) {
    int winner = 0;
    for (int i = 1; i < n; ++i)
      if (got[r * n + i] < got[r * n + winner]) winner = i;
    double gap = (got[r * n + winner] - released[r]) / (unit_ns * 1e-9);
    sum += gap;
    sum2 += gap * gap;
    first_came_won += winner == 0;
  }
  double mean = sum / rounds, sd = std::sqrt((sum2 - sum * sum / rounds) / (rounds - 1));
  double theory = mean_first_look(4, n);
  CAPTURE(n, mean, sd, theory);
  // Four standard errors (a correct model fails one seed in ~16,000; the
  // seed is fixed). The mean of a residual that was not length-biased
  // (uniform inside an unweighted delay: 1.25 steps for n = 1, against
  // 1.5) lies outside.
  CHECK(std::abs(mean - theory) < 4 * sd / std::sqrt(rounds));
  // No FIFO: the first to come wins only as often as any other.
  double p = 1.0 / n, share = static_cast<double>(first_came_won) / rounds;
  CAPTURE(share);
  if (n > 1) CHECK(std::abs(share - p) < 4 * std::sqrt(p * (1 - p) / rounds));
  // Every one of them got the lock in every round.
  for (double g : got) REQUIRE(g > 0);
}

}  // namespace

// The idle gap after a release is the earliest spinner's residual backoff:
// with one spinner its mean is (2b + 1) / 6 steps = 1.5 at backoff 4.
TEST_CASE("the lock idles after a release for the first spinner's residual backoff",
          "[locks]") {
  CHECK(mean_first_look(4, 1) == Approx(1.5));
  gap_test(1);
}

// With four spinners the gap is the earliest of four residuals (0.53
// steps at backoff 4), and the winner is whoever looks first, not the
// first to come.
TEST_CASE("with several spinners the lock goes to the first to look after the release",
          "[locks]") {
  gap_test(4);
}

// The release's store takes the lock's line back from every spinner that
// read it during the hold, and the next owner's cas waits for that: its
// hand-off pays sharer_ns for each other copy (mutex_sharer). Four CPUs,
// free backoff (every spinner looks again the instant the lock is free, the
// tie to the first to come), 100 ns per copy. A holds the lock to 1 ms; B,
// C and D come during the hold and spin. At A's release B wins and pays for
// C's and D's copies (200 ns); at B's, C pays for D's (100 ns); D, alone,
// pays nothing. Exact.
TEST_CASE("a hand-off pays for every other spinner's copy of the lock's line", "[locks]") {
  LockMachine m(4, 0);
  m.costs.sharer_ns = 100;
  Kthread a(m.disp, 1), b(m.disp, 2), c(m.disp, 3), d(m.disp, 4);
  double got[4], released[4];
  forksim::spawn(locker(m, a, 0, 1 * ms, &got[0], &released[0]));
  forksim::spawn(locker(m, b, 0.1 * ms, 0, &got[1], &released[1]));
  forksim::spawn(locker(m, c, 0.2 * ms, 0, &got[2], &released[2]));
  forksim::spawn(locker(m, d, 0.3 * ms, 0, &got[3], &released[3]));
  m.eng.run();
  CHECK(released[0] == exactly(1 * ms));
  CHECK(released[1] == exactly(1 * ms + 200e-9));
  CHECK(released[2] == exactly(1 * ms + 300e-9));
  CHECK(released[3] == exactly(1 * ms + 300e-9));
}

namespace {

// The README's knee run at n CPUs: 256 shells forking children that exit
// at once, default costs.
nlohmann::json knee_run(int ncpus, int seed, const std::string& costs = "") {
  std::vector<std::string> args = {
      "--seed", std::to_string(seed), "--set", "machine.ncpus=" + std::to_string(ncpus),
      "--set", "workload.parents=256", "--set", "workload.think_s=0",
      "--set", "workload.child.lifetime_s=0", "--set", "duration_s=0.6",
      "--set", "warmup_s=0.2"};
  if (!costs.empty()) {
    args.push_back("--set");
    args.push_back("costs=" + costs);
  }
  return forksim::test::run_forksim(args);
}

// exit_proc's pidlock section at 30 us (its default is 1.5 us), so that
// pidlock, not the CPUs, bounds the knee run at 32 and at 64 CPUs: issue
// 10's calibration doubled the default cycle's CPU outside pidlock, and at
// 10 us the 32-CPU run was still short of CPUs.
const std::string kLongExit = "\"exit_proc\": 30000";

nlohmann::json long_exit_run(int ncpus, int seed, const std::string& more = "") {
  return knee_run(ncpus, seed, "{" + kLongExit + (more.empty() ? "" : ", " + more) + "}");
}

struct Sample {
  double mean = 0, var = 0;  // of the values, var with n - 1 (0 for one value)
  explicit Sample(const std::vector<double>& x) {
    for (double v : x) mean += v;
    mean /= x.size();
    for (double v : x) var += (v - mean) * (v - mean);
    if (x.size() > 1) var /= x.size() - 1;
  }
};

// Forks/s at 32 and 64 CPUs over `seeds`, and the t-based tolerance of the
// difference of the means (95%).
struct Scaling {
  Sample x32, x64;
  double spin32 = 0, spin64 = 0, busy32 = 0, busy64 = 0;  // means
  double tol = 0;
};

Scaling scaling(const std::vector<int>& seeds, const std::string& more) {
  std::vector<double> x32, x64;
  double spin32 = 0, spin64 = 0, busy32 = 0, busy64 = 0;
  for (int seed : seeds) {
    nlohmann::json a = long_exit_run(32, seed, more), b = long_exit_run(64, seed, more);
    x32.push_back(a["throughput"]["forks_per_s"]);
    x64.push_back(b["throughput"]["forks_per_s"]);
    spin32 += a["locks"]["pidlock"]["spin_cpu_s"].get<double>() / seeds.size();
    spin64 += b["locks"]["pidlock"]["spin_cpu_s"].get<double>() / seeds.size();
    busy32 += a["locks"]["pidlock"]["utilization"].get<double>() / seeds.size();
    busy64 += b["locks"]["pidlock"]["utilization"].get<double>() / seeds.size();
  }
  Scaling r{Sample(x32), Sample(x64), spin32, spin64, busy32, busy64, 0};
  // t(0.975, 4) for three seeds each; one seed (no randomness): exact.
  if (seeds.size() == 3) r.tol = 2.776 * std::sqrt(r.x32.var / 3 + r.x64.var / 3);
  return r;
}

}  // namespace

// Past pidlock's saturation (the knee run with a 30 us exit section under
// pidlock): what 64 CPUs buy over 32, with the kernel's backoff and
// without it (mutex_backoff_unit 0: every spinner looks again the instant
// the lock is free, mutex.c's naive spin). Each hand-off pays mutex_sharer
// for every other spinner that read the lock's line during the hold.
//
// With the backoff and the default (guessed) 10 ns a copy, 64 CPUs give
// +0.9% (21,050 and 21,250 forks/s, seed 1) for more than twice the
// spinning: the spinners grow faster than the backoff cap (ncpus x 64
// steps), so the first look after a release comes a little sooner, and the
// lock idles between owners (busy about 91%). The issue expected no gain
// at all, which assumes a lock busy all the time; the test allows 5% plus
// the runs' statistical error. At 100 ns a copy (a whole cross-core
// transfer each, the guess's upper end) the backoff still holds the line's
// copies so few that 64 CPUs give the same as 32 (+0.4%). Without the
// backoff, at 100 ns a copy, every spinner holds a copy at every release
// and 64 CPUs give 28% fewer forks than 32 (16,710 and 11,980): the fall
// past the knee a scalability fit looks for, and the trade-off mutex.c's
// theory statement describes (a long delay idles the lock, a short one
// floods the line). With no backoff draws the naive runs have no
// randomness: one seed, an exact comparison.
TEST_CASE("past pidlock's saturation the backoff holds throughput, the naive spin loses it",
          "[locks][scaling][long]") {
  Scaling kernel = scaling({1, 2, 3}, "");
  INFO("backoff, 10 ns a copy: 32: " << kernel.x32.mean << ", 64: " << kernel.x64.mean
                                     << " forks/s, tolerance " << kernel.tol);
  CHECK(kernel.busy32 < 0.95);
  CHECK(kernel.busy64 < 0.95);
  CHECK(kernel.x64.mean - kernel.x32.mean < 0.05 * kernel.x32.mean + kernel.tol);
  CHECK(kernel.spin64 > 2 * kernel.spin32);

  Scaling dear = scaling({1, 2, 3}, "\"mutex_sharer\": 100");
  INFO("backoff, 100 ns a copy: 32: " << dear.x32.mean << ", 64: " << dear.x64.mean);
  CHECK(std::abs(dear.x64.mean - dear.x32.mean) < 0.02 * dear.x32.mean + dear.tol);

  Scaling naive = scaling({1}, "\"mutex_sharer\": 100, \"mutex_backoff_unit\": 0");
  INFO("naive spin, 100 ns a copy: 32: " << naive.x32.mean << ", 64: " << naive.x64.mean);
  CHECK(naive.busy64 > 0.99);
  CHECK(naive.x64.mean < 0.9 * naive.x32.mean);
  CHECK(naive.x32.mean < dear.x32.mean);
}

// The step-by-step engine (a wait per charged step) against the merged one
// in a saturated, random run: 32 CPUs on the knee run. A thread's clock is
// summed differently by the two, so events a hair apart can swap, the
// backoff draws then go to other spinners, and the runs part ways: they
// can agree only in distribution. Eight seeds each; each mean must agree
// within the t-based tolerance of the difference (pooled, 14 degrees of
// freedom, 99%: t = 2.977). With four seeds the first four happened to put
// the merged engine's pidlock utilization above the other's each time
// (0.7054 against 0.7037, tolerance 0.0015); seeds 5 to 8 turn two of them
// round, and over the eight the difference is 0.0006 with a standard error
// of 0.0006: chance, not a shortcut. A shortcut that lost one 100 ns step
// under pidlock per fork would move throughput by about 0.7%. The exact,
// lightly loaded comparison is tests/test_model.cpp's.
TEST_CASE("at saturation the step-by-step engine gives the same means over seeds",
          "[locks][engine][long]") {
  auto run = [](int seed, bool slow) {
    std::vector<std::string> args = {
        "--seed", std::to_string(seed), "--set", "machine.ncpus=32",
        "--set", "workload.parents=256", "--set", "workload.think_s=0",
        "--set", "workload.child.lifetime_s=0", "--set", "duration_s=0.3",
        "--set", "warmup_s=0.1"};
    if (slow) args.push_back("--step-by-step");
    return forksim::test::run_forksim(args);
  };
  const std::vector<std::pair<const char*, nlohmann::json::json_pointer>> figures = {
      {"forks/s", nlohmann::json::json_pointer("/throughput/forks_per_s")},
      {"fork1 latency", nlohmann::json::json_pointer("/paths/fork1/latency_s/mean")},
      {"pidlock utilization", nlohmann::json::json_pointer("/locks/pidlock/utilization")},
      {"pidlock spin", nlohmann::json::json_pointer("/locks/pidlock/spin_cpu_s")},
  };
  std::vector<std::vector<double>> fast(figures.size()), slow(figures.size());
  constexpr int kSeeds = 8;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    nlohmann::json a = run(seed, false), b = run(seed, true);
    CHECK(b["engine"]["events"].get<double>() > 1.2 * a["engine"]["events"].get<double>());
    for (size_t i = 0; i < figures.size(); ++i) {
      fast[i].push_back(a[figures[i].second].get<double>());
      slow[i].push_back(b[figures[i].second].get<double>());
    }
  }
  for (size_t i = 0; i < figures.size(); ++i) {
    Sample f(fast[i]), s(slow[i]);
    double tol = 2.977 * std::sqrt((f.var + s.var) / 2 * (2.0 / kSeeds));
    INFO(figures[i].first << ": merged " << f.mean << ", step by step " << s.mean
                          << ", tolerance " << tol);
    CHECK(std::abs(f.mean - s.mean) < tol);
    // The runs are long enough to tell: 1% for the rates and loads; the
    // latency mean, a heavy-tailed figure (the run-queue waits behind the
    // TS dispatcher's priorities), to 5% (2.7% measured).
    CHECK(tol < (figures[i].first == std::string("fork1 latency") ? 0.05 : 0.01) * f.mean);
  }
}

// The model names a caller at every lock entry: over a whole run (the
// default scenario, shortened) each lock's per-caller figures add up to its
// totals, and every caller that took a lock is a catalogue step, named.
TEST_CASE("every lock acquisition of a run is counted once, under a named caller", "[locks][model]") {
  forksim::Scenario s;
  s.duration_s = 2;
  s.warmup_s = 0.5;
  Probes p = forksim::run_scenario(s);
  int locks_seen = 0;
  for (const auto& [name, ls] : p.locks) {
    if (ls.acquisitions == 0) continue;
    ++locks_seen;
    uint64_t acq = 0, contended = 0;
    for (size_t site = 0; site < ls.callers.size(); ++site) {
      const auto& c = ls.callers[site];
      acq += c.acquisitions;
      contended += c.contended;
      if (c.acquisitions > 0) {
        REQUIRE(site < p.lock_sites.size());
        CHECK_FALSE(p.lock_sites[site].name.empty());
      }
    }
    INFO(name);
    CHECK(acq == ls.acquisitions);
    CHECK(contended == ls.contended);
  }
  CHECK(locks_seen >= 5);  // pidlock, pidlinklock, ct_lock, p_lock, as_lock at least
}
