// The dispatcher held to illumos's scheduling classes (ts.c, rt.c, disp.c
// with the default ts_dptbl and rt_dptbl): preemption of user-mode work,
// kpreemptpri for kernel-mode work, the priority changes of ts_tick,
// ts_update, ts_sleep/ts_wakeup and ts_forkret, level by level; and, on
// the whole model, fork latency with CPU-bound children that no longer
// follows the quantum.
//
// Exact scenarios, times in ms, context switches free, hz 100 (a tick is
// 10 ms; ts_dptbl's quanta are 20 ticks at levels 0-9 down to 2 at 59).
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "sim/coro.hpp"
#include "sim/dispatcher.hpp"
#include "sim/engine.hpp"
#include "sim/kmutex.hpp"
#include "tests/support.hpp"
#include "tests/timeline.hpp"

using forksim::Co;
using forksim::Dispatcher;
using forksim::Kthread;
using forksim::KMutex;
using forksim::LockStats;
using forksim::Probes;
using forksim::SchedClass;
using forksim::SimEngine;
using forksim::test::at_time;
using forksim::test::exactly;
using forksim::test::ms;
using forksim::test::now;
using forksim::test::run_forksim;
using forksim::test::start_at;
using nlohmann::json;

namespace {

using forksim::test::kFreeLock;  // the scheduler tests time the CPUs only
using forksim::test::kZeroCost;

struct SchedMachine {
  SimEngine eng;
  Probes probes;
  Dispatcher disp;
  LockStats lock_stats;
  KMutex lock{"lock", lock_stats, kFreeLock};

  explicit SchedMachine(int ncpus)
      : probes(forksim::test::probes_over(0, 100)), disp(ncpus, probes, kZeroCost) {}
};

// Kernel-mode CPU work of `s` seconds.
Co<void> kernel_work(Kthread& t, double s) {
  co_await t.charge(s * 1e9);
  co_await t.flush();
}

// A CPU-bound user thread: a CPU at `at`, `user_s` of user-mode work, then
// off CPU; *ended gets the time its work ended.
Co<void> cpu_bound(SchedMachine& m, Kthread& t, double at, double user_s, double* ended) {
  co_await start_at(at);
  co_await m.disp.run(t);
  co_await m.disp.run_user(t, user_s);
  *ended = now();
  m.disp.release(t);
}

// A thread that wakes at `at` (a sleep ends), does `work_s` of kernel
// work and sleeps again; *began gets the time it had a CPU.
Co<void> waker(SchedMachine& m, Kthread& t, double at, double work_s, double* began) {
  co_await start_at(at);
  co_await m.disp.run(t);
  *began = now();
  co_await kernel_work(t, work_s);
  m.disp.release(t);
}

}  // namespace

// cpu_resched: a TS thread woken at a higher priority than a CPU-bound
// user-mode thread takes its CPU at the wake-up itself. The model's
// preemption latency is 0 (the kernel's is the poke IPI and the AST trap,
// microseconds, not modelled): W has the CPU at 10 ms exactly. U (level 0)
// is put at the front of its queue with its quantum left (ts_preempt) and
// finishes its 100 ms of work 1 ms late.
TEST_CASE("a woken thread preempts a CPU-bound user thread at once", "[scheduler]") {
  SchedMachine m(1);
  Kthread u(m.disp, 1), w(m.disp, 2);
  u.set_class(SchedClass::TS, 0);
  w.set_class(SchedClass::TS, 29);
  double u_end = -1, w_began = -1;
  Kthread::State u_then = Kthread::State::New;
  forksim::spawn(cpu_bound(m, u, 0, 100 * ms, &u_end));
  forksim::spawn(waker(m, w, 10 * ms, 1 * ms, &w_began));
  at_time(10.5 * ms, [&] { u_then = u.state(); });
  m.eng.run();

  CHECK(w_began == exactly(10 * ms));
  CHECK(u_then == Kthread::State::RunQueue);
  CHECK(u_end == exactly(101 * ms));
  CHECK(u.ts_cpupri() == 0);  // 100 ms of a 200 ms quantum: no expiry
  CHECK(m.probes.dispatches == 3);
  CHECK(m.probes.runq_wait_sum_s == exactly(1 * ms));
}

namespace {

// H: a TS thread that holds the lock for 5 ms of kernel work, releases it
// and returns to user mode; *back gets the time it had its CPU again after
// that return (it is preempted there if a better thread waits).
Co<void> holder(SchedMachine& m, Kthread& h, double* released, double* back) {
  co_await m.disp.run(h);
  co_await m.lock.enter(h, 0);
  co_await kernel_work(h, 5 * ms);
  co_await m.lock.exit(h);
  *released = now();
  co_await m.disp.trap_return(h);
  *back = now();
  m.disp.release(h);
}

struct HolderRun {
  double released = -1, back = -1, waker_began = -1, hold_s = -1;
};

// One CPU: H at TS level `holder_level` from 0, and a thread of class `wc`
// at `wpri` woken at 1 ms for 1 ms of kernel work.
HolderRun holder_against(int holder_level, SchedClass wc, int wpri) {
  SchedMachine m(1);
  Kthread h(m.disp, 1), w(m.disp, 2);
  h.set_class(SchedClass::TS, holder_level);
  w.set_class(wc, wpri);
  HolderRun r;
  forksim::spawn(holder(m, h, &r.released, &r.back));
  forksim::spawn(waker(m, w, 1 * ms, 1 * ms, &r.waker_began));
  m.eng.run();
  r.hold_s = m.lock_stats.hold_sum_s;
  return r;
}

}  // namespace

// kpreemptpri: a TS thread woken at 1 ms does not preempt a TS lock holder
// running kernel code, whatever its priority (29 against 0). It gets the
// CPU when the holder returns to user mode at 5 ms (cpu_runrun), and the
// holder runs again once it is done.
TEST_CASE("a kernel-mode TS lock holder is not preempted by a TS wake-up", "[scheduler]") {
  HolderRun r = holder_against(0, SchedClass::TS, 29);
  CHECK(r.released == exactly(5 * ms));
  CHECK(r.waker_began == exactly(5 * ms));
  CHECK(r.back == exactly(6 * ms));
  CHECK(r.hold_s == exactly(5 * ms));
}

// RT (global priority 100 >= kpreemptpri 99) preempts kernel-mode TS work
// at once, lock held or not: R has the CPU at 1 ms, the holder's 5 ms of
// work resume after R's 1 ms and it releases the lock at 6 ms.
TEST_CASE("an RT wake-up preempts a TS thread in kernel mode", "[scheduler]") {
  HolderRun r = holder_against(59, SchedClass::RT, 0);
  CHECK(r.waker_began == exactly(1 * ms));
  CHECK(r.released == exactly(6 * ms));
  CHECK(r.back == exactly(6 * ms));  // nobody better waits at its return
  CHECK(r.hold_s == exactly(6 * ms));
}

// And a SYS thread at 60 (minclsyspri, below kpreemptpri) does not: like a
// TS thread it waits for the holder's return to user mode.
TEST_CASE("a SYS wake-up below kpreemptpri waits for kernel-mode TS work", "[scheduler]") {
  HolderRun r = holder_against(0, SchedClass::SYS, forksim::kMinClSysPri);
  CHECK(r.waker_began == exactly(5 * ms));
  CHECK(r.back == exactly(6 * ms));
}

// ts_tick: a CPU-bound TS thread alone on a CPU falls by ts_tqexp at each
// quantum's end: level 29 (12 ticks = 120 ms) -> 19 (16 ticks) -> 9 (20
// ticks) -> 0, where it stays (tqexp[0] = 0). Sampled just before and
// after each expiry: 120, 280 and 480 ms.
TEST_CASE("a CPU-bound TS thread falls by ts_tqexp at each quantum's end", "[scheduler]") {
  SchedMachine m(1);
  Kthread u(m.disp, 1);
  u.set_class(SchedClass::TS, 29);
  CHECK(m.disp.quantum_s(u) == Approx(0.12));
  double u_end = -1;
  std::vector<int> levels;
  forksim::spawn(cpu_bound(m, u, 0, 0.9, &u_end));
  for (double t : {119, 121, 279, 281, 479, 481, 699, 701, 899})
    at_time(t * ms, [&] { levels.push_back(u.ts_cpupri()); });
  m.eng.run();
  CHECK(levels == std::vector<int>{29, 19, 19, 9, 9, 0, 0, 0, 0});
  CHECK(u_end == exactly(900 * ms));
  CHECK(m.probes.dispatches == 1);  // alone: every expiry keeps the CPU
}

// Round robin at quantum expiry: two CPU-bound threads at level 0 (20 ticks
// = 200 ms, tqexp 0) on one CPU take turns of one quantum each.
TEST_CASE("equal TS threads take turns of one quantum", "[scheduler]") {
  SchedMachine m(1);
  Kthread a(m.disp, 1), b(m.disp, 2);
  a.set_class(SchedClass::TS, 0);
  b.set_class(SchedClass::TS, 0);
  double a_end = -1, b_end = -1;
  forksim::spawn(cpu_bound(m, a, 0, 0.3, &a_end));
  forksim::spawn(cpu_bound(m, b, 0, 0.3, &b_end));
  m.eng.run();
  // a 0-200, b 200-400, a 400-500 (done), b 500-600.
  CHECK(a_end == exactly(500 * ms));
  CHECK(b_end == exactly(600 * ms));
}

namespace {

// A TS thread's day at level 19 (a 160 ms quantum, which its 40 ms of
// work never use up): 10 ms on CPU, asleep 10 ms-0.7 s; 10 ms, asleep
// 0.71-1.2 s (across the ts_update pass at 1 s); asleep again 1.2-1.99 s,
// then 20 ms on CPU across the pass at 2 s and asleep at 2.01 s. Levels
// after each wake-up and after the last sleep.
Co<void> sched_sleeper(SchedMachine& m, Kthread& t, std::vector<int>* levels) {
  co_await m.disp.run(t);
  co_await kernel_work(t, 10 * ms);
  co_await t.sleep_until(0.7);  // no pass in between: the same level
  levels->push_back(t.ts_cpupri());
  co_await kernel_work(t, 10 * ms);
  co_await t.sleep_until(1.2);  // asleep at the pass: lwait
  levels->push_back(t.ts_cpupri());
  co_await t.sleep_until(1.99);
  co_await kernel_work(t, 20 * ms);  // on CPU at the pass at 2 s: dispwait 1
  m.disp.release(t);                  // ts_sleep: dispwait > maxwait, slpret
  levels->push_back(t.ts_cpupri());
}

}  // namespace

// ts_update and ts_sleep/ts_wakeup (ts.c): a wake-up keeps the level when
// no pass came since the last reset (maxwait 0); a thread asleep at a pass
// is raised to lwait (lwait[19] = 51); one on CPU at a pass gets slpret at
// its next sleep (slpret[51] = 58).
TEST_CASE("sleep return follows ts_dptbl's maxwait, lwait and slpret", "[scheduler]") {
  SchedMachine m(1);
  Kthread t(m.disp, 1);
  t.set_class(SchedClass::TS, 19);
  std::vector<int> levels;
  forksim::spawn(sched_sleeper(m, t, &levels));
  m.eng.run();
  CHECK(levels == std::vector<int>{19, 51, 58});
}

namespace {

// A parent at `level` that forks: the child becomes runnable at the
// parent's level (ts_fork), and ts_forkret runs; *parent_back and
// *child_began get when each next had the CPU.
Co<void> forker(SchedMachine& m, Kthread& p, Kthread& c, double* parent_back, double* child_began,
                int* parent_level) {
  co_await m.disp.run(p);
  co_await kernel_work(p, 1 * ms);
  c.inherit_class(p);
  forksim::spawn([](SchedMachine& m, Kthread& c, double* began) -> Co<void> {
    co_await c.block();
    *began = now();
    co_await kernel_work(c, 2 * ms);
    m.disp.release(c);
  }(m, c, child_began));
  m.disp.make_runnable(c);
  co_await m.disp.forkret(p);
  *parent_back = now();
  *parent_level = p.ts_cpupri();
  m.disp.release(p);
}

struct ForkRun {
  double parent_back = -1, child_began = -1;
  int parent_level = -1, child_level = -1;
};

// One CPU: a TS parent at `level` forks at 1 ms.
ForkRun fork_from(int level) {
  SchedMachine m(1);
  Kthread p(m.disp, 1), c(m.disp, 2);
  p.set_class(SchedClass::TS, level);
  ForkRun r;
  forksim::spawn(forker(m, p, c, &r.parent_back, &r.child_began, &r.parent_level));
  m.eng.run();
  r.child_level = c.ts_cpupri();
  return r;
}

}  // namespace

// ts_forkret: the parent falls to tqexp of its level and switches. From 29
// (tqexp 19) the child, still at 29, runs first and the parent returns
// after the child's 2 ms.
TEST_CASE("ts_forkret lets the child run first from level 29", "[scheduler]") {
  ForkRun r = fork_from(29);
  CHECK(r.parent_level == 19);
  CHECK(r.child_level == 29);
  CHECK(r.child_began == exactly(1 * ms));
  CHECK(r.parent_back == exactly(3 * ms));
}

// From level 0 (tqexp 0) parent and child are equal, and the parent,
// dispatched in this clock tick, is queued at the front (ts_setrun): it
// keeps the CPU and the child runs after it.
TEST_CASE("ts_forkret keeps the parent running at level 0", "[scheduler]") {
  ForkRun r = fork_from(0);
  CHECK(r.parent_level == 0);
  CHECK(r.parent_back == exactly(1 * ms));
  CHECK(r.child_began == exactly(1 * ms));  // once the parent sleeps, at once
}

namespace {

json cpu_bound_children(const std::string& scale) {
  return run_forksim({"--set", "machine.ncpus=4", "--set", "workload.parents=8",
                      "--set", "workload.child.cpu_s=0.05", "--set",
                      "machine.ts_quantum_scale=" + scale});
}

}  // namespace

// The case: 4 CPUs, CPU-bound children (50 ms of user work each).
// With one 40 ms or 10 ms quantum and no preemption, fork1's latency
// followed the setting (8 parents: mean 21.1 ms at 40 ms, 9.5 ms at 10;
// 64 parents: 366 and 143 ms). Now a parent waking from its think time
// outranks the children, which sink to level 0, and preempts one; its fork
// is then not delayed at all (p50 and p90 are the fork's own 67 us) at the
// table's quanta scaled to 10 ms or 40 ms at level 0 (scale 0.05, 0.2).
// The mean still grows with the quantum: after each ts_update pass the
// queued children are raised to lwait too, and a parent whose forkret
// leaves it below its fresh child (ts_tqexp is 10 levels down) waits for
// that child's quantum or another CPU; that is ts_forkret's design, the
// kernel's too. Measured with the dispatcher alone: mean 0.13 ms at 0.05
// and 1.8 ms at 0.2. With the kernel's lock and exit sections joined to it
// the p90 follows the quantum too (0.067 ms at 0.05, 4.2 ms at 0.2; mean
// 0.19 and 2.3 ms): more forks end below a fresh child. The median, the
// fork that finds a CPU, does not; that is what this test holds.
TEST_CASE("fork latency with CPU-bound children does not follow the quantum",
          "[model][scheduler]") {
  json a = cpu_bound_children("0.05"), b = cpu_bound_children("0.2");
  const json& la = a["paths"]["fork1"]["latency_s"];
  const json& lb = b["paths"]["fork1"]["latency_s"];
  CAPTURE(la.dump(), lb.dump());
  CHECK(la["p50"].get<double>() == Approx(lb["p50"].get<double>()).epsilon(0.2));
  CHECK(la["p50"].get<double>() < 1e-4);
  CHECK(a["throughput"]["forks_per_s"].get<double>() ==
        Approx(b["throughput"]["forks_per_s"].get<double>()).epsilon(0.02));
  for (const json* r : {&a, &b}) {
    CHECK((*r)["invariants"]["drained"] == true);
    CHECK((*r)["invariants"]["threads_blocked_after_drain"] == 0);
  }
}

// The old single quantum is refused by name, with its replacement, and
// nothing is written; the scale must be positive.
TEST_CASE("machine.ts_quantum_ms is retired in favour of machine.ts_quantum_scale",
          "[scheduler][errors]") {
  forksim::test::TempDir d;
  auto r = forksim::test::run_cli(d, {"run", "--quiet", "-o", "r.json", "--set",
                                      "machine.ts_quantum_ms=40"});
  CHECK(r.status == 2);
  CHECK(r.err.find("machine.ts_quantum_ms") != std::string::npos);
  CHECK(r.err.find("retired") != std::string::npos);
  CHECK(r.err.find("machine.ts_quantum_scale") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d / "r.json"));
  auto z = forksim::test::run_cli(d, {"run", "--quiet", "-o", "r.json", "--set",
                                      "machine.ts_quantum_scale=0"});
  CHECK(z.status == 2);
  CHECK(z.err.find("machine.ts_quantum_scale: must be > 0, got 0") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d / "r.json"));
}
