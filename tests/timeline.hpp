// Helpers for the exact-time engine tests (test_queueing, test_scheduler):
// threads that start at a given time, observers called at a given time, and
// times compared within 1 ns.
#pragma once
#include <catch2/catch.hpp>

#include <functional>
#include <utility>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/engine.hpp"
#include "sim/kmutex.hpp"

namespace forksim::test {

constexpr double ms = 1e-3;
inline double now() { return SimEngine::now(); }
inline Approx exactly(double t) { return Approx(t).epsilon(0).margin(1e-9); }

// A thread's start: waits until time t, and not at all if t is not in the
// future (as an actor's sleep_until did), so that a thread starting at
// time 0 runs in the order it was spawned among those started then.
inline Co<void> start_at(double t) {
  if (t > now()) co_await SimEngine::wait_until(t);
}

// Calls f at time `at` (an observer, not a thread of the machine). f is a
// parameter, so the coroutine's frame holds its own copy.
template <class F>
Co<void> at_time_body(double at, F f) {
  co_await start_at(at);
  f();
}

template <class F>
void at_time(double at, F f) {
  spawn(at_time_body(at, std::move(f)));
}

// Machines of these tests: free context switches and, unless a test says
// otherwise, free lock hand-offs with no backoff (every spinner looks again
// the instant the lock is free, and the tie goes to the first to come).
inline const std::function<double()> kZeroCost = [] { return 0.0; };
inline const MutexCosts kFreeLock{kZeroCost, 0, nullptr};

// Probes measuring over [start, end].
inline Probes probes_over(double start, double end) {
  Probes p;
  p.window_start_s = start;
  p.window_end_s = end;
  return p;
}

}  // namespace forksim::test
