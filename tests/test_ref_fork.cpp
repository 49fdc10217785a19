// The peers' reference fork model on forksim's engine (bench/ref_fork.hpp)
// gives their answer. The expected counts come from an event loop written
// here, independently of the engine: a heap of burst completions over
// integer microseconds, FIFO queues for the CPUs and the locks. Same-instant
// events can be taken in two orders (a zero-delay wake-up before or after
// the completions already due at that instant); the peers differ only by
// that order, so where the two orders agree the engine must match exactly,
// and elsewhere fall between them.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <queue>
#include <tuple>
#include <vector>

#include "bench/ref_fork.hpp"

using forksim::run_ref_fork;

namespace {

enum class Ties { WakeupsFirst, WakeupsLast };

// The model of bench/ref_fork.hpp as a state machine per process: ids
// 0..n-1 parents, n+p the child of parent p.
int64_t oracle_forks(int cpus, int n, int64_t horizon, Ties ties) {
  constexpr std::array<int64_t, 12> kBurst = {2, 3, 1, 5, 2, 20, 3, 2, 4, 2, 6, 3};
  constexpr int kFree = -1, kPidlock = -2;
  struct Lock {
    bool held = false;
    std::deque<int> q;
  };
  struct Proc {
    int step = 0;         // the burst it is at
    bool in_burst = false;
    bool waiting_child = false;
  };
  std::vector<Proc> procs(2 * n);
  std::vector<Lock> plock(n);
  Lock pidlock;
  std::deque<int> cpu_q, ready;
  int free_cpus = cpus;
  int64_t now = 0, forks = 0;
  uint64_t seq = 0;
  using Ev = std::tuple<int64_t, uint64_t, int>;  // (time, order, process)
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> heap;

  auto steps_of = [&](int id) { return id < n ? 12 : 2; };
  auto burst_of = [&](int id, int s) { return id < n ? kBurst[s] : (s == 0 ? 10 : 3); };
  auto lock_of = [&](int id, int s) -> int {
    if (id < n) return s == 2 ? id : (s == 4 || s == 10) ? kPidlock : kFree;
    return s == 1 ? kPidlock : kFree;
  };
  auto lock_ref = [&](int l) -> Lock& { return l == kPidlock ? pidlock : plock[l]; };
  auto wake = [&](int id) {
    if (ties == Ties::WakeupsFirst) ready.push_back(id);
    else heap.emplace(now, seq++, id);
  };
  auto start_burst = [&](int id) { heap.emplace(now + burst_of(id, procs[id].step), seq++, id); };
  auto ask_cpu = [&](int id) {
    procs[id].in_burst = true;
    if (free_cpus > 0) --free_cpus, start_burst(id);
    else cpu_q.push_back(id);
  };
  // Runs id from the start of its current step (the lock is next) or, with
  // have_lock, from its CPU request.
  auto begin_step = [&](int id, bool have_lock) {
    int l = lock_of(id, procs[id].step);
    if (!have_lock && l != kFree) {
      Lock& k = lock_ref(l);
      if (k.held) return k.q.push_back(id);
      k.held = true;
    }
    ask_cpu(id);
  };
  auto resume = [&](int id) {
    Proc& p = procs[id];
    if (p.waiting_child) {  // the child exited
      p.waiting_child = false;
      if (now <= horizon) ++forks;
      p.step = 0;
      return begin_step(id, false);
    }
    if (!p.in_burst) return begin_step(id, true);  // handed a lock, or spawned
    p.in_burst = false;
    if (!cpu_q.empty()) {
      int next = cpu_q.front();
      cpu_q.pop_front();
      start_burst(next);
    } else {
      ++free_cpus;
    }
    int l = lock_of(id, p.step);
    if (l != kFree) {
      Lock& k = lock_ref(l);
      if (k.q.empty()) k.held = false;
      else { int w = k.q.front(); k.q.pop_front(); wake(w); }
    }
    if (++p.step < steps_of(id)) return begin_step(id, false);
    p.step = 0;
    if (id < n) {
      p.waiting_child = true;
      procs[n + id] = Proc{};
      // A spawned child starts at its first step's lock check (it has none).
      wake(n + id);
    } else {
      wake(id - n);
    }
  };
  // A spawned or handed-over process resumes with its lock in hand; the
  // parents start the same way (their first step takes no lock).
  for (int p = 0; p < n; ++p) ready.push_back(p);
  for (;;) {
    while (!ready.empty()) {
      int id = ready.front();
      ready.pop_front();
      resume(id);
    }
    if (heap.empty() || std::get<0>(heap.top()) > horizon) break;
    auto [t, s, id] = heap.top();
    heap.pop();
    now = t;
    resume(id);
  }
  return forks;
}

}  // namespace

TEST_CASE("the reference fork event loop of this test gives the peers' figures", "[ref_fork]") {
  // fork_heap (../shared/peers/, both tie orders) at C=8, T=1 s: 75,776
  // forks with 1,024 parents; 77,248 and 77,056 with 64.
  CHECK(oracle_forks(8, 1024, 1'000'000, Ties::WakeupsFirst) == 75'776);
  CHECK(oracle_forks(8, 1024, 1'000'000, Ties::WakeupsLast) == 75'776);
  CHECK(oracle_forks(8, 64, 1'000'000, Ties::WakeupsFirst) == 77'248);
  CHECK(oracle_forks(8, 64, 1'000'000, Ties::WakeupsLast) == 77'056);
  // One parent, one CPU: nothing waits, a fork is 53 + 13 us; one whose
  // exit is seen exactly at the horizon counts.
  CHECK(oracle_forks(1, 1, 660, Ties::WakeupsFirst) == 10);
  CHECK(oracle_forks(1, 1, 659, Ties::WakeupsFirst) == 9);
}

TEST_CASE("the reference fork model on the engine: 1,024 parents on 8 CPUs give the exact count", "[ref_fork]") {
  int64_t expected = oracle_forks(8, 1024, 1'000'000, Ties::WakeupsFirst);
  REQUIRE(expected == oracle_forks(8, 1024, 1'000'000, Ties::WakeupsLast));
  forksim::RefForkRun r = run_ref_fork(8, 1024, 1'000'000);
  CHECK(r.forks == expected);
  CHECK(r.events > static_cast<uint64_t>(r.forks) * 15);  // at least a wait per burst
}

TEST_CASE("the reference fork model on the engine: 64 parents fall within the tie-order spread", "[ref_fork]") {
  int64_t a = oracle_forks(8, 64, 1'000'000, Ties::WakeupsFirst);
  int64_t b = oracle_forks(8, 64, 1'000'000, Ties::WakeupsLast);
  REQUIRE(a != b);
  forksim::RefForkRun r = run_ref_fork(8, 64, 1'000'000);
  CHECK(r.forks >= std::min(a, b));
  CHECK(r.forks <= std::max(a, b));
}

TEST_CASE("the reference fork model on the engine: one parent counts a fork seen at the horizon", "[ref_fork]") {
  // 10 forks of 66 us end exactly at 660 us.
  CHECK(run_ref_fork(1, 1, 660).forks == 10);
}

TEST_CASE("the reference fork model refuses impossible sizes", "[ref_fork]") {
  CHECK_THROWS_WITH(run_ref_fork(0, 4, 100), "run_ref_fork: cpus and parents must be >= 1, the horizon >= 0");
}
