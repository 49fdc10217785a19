#include "bench/ref_fork.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/dispatcher.hpp"
#include "sim/engine.hpp"
#include "sim/kthread.hpp"

namespace forksim {

namespace {

// One engine second stands for one model microsecond, so every date is a
// whole number of microseconds held exactly in a double and the model's
// many same-instant events stay ties, as in the peers' integer clocks.
// Kthread charges nanoseconds of "seconds" (x 1e-9): a burst of d units is
// charged as d x 1e9, which the constructor checks comes back exactly.
constexpr double kUnitNs = 1e9;
constexpr int kSteps = 12;
constexpr std::array<int, kSteps> kBurst = {2, 3, 1, 5, 2, 20, 3, 2, 4, 2, 6, 3};
constexpr int kPLockStep = 2, kPidlockStep1 = 4, kPidlockStep2 = 10;  // 0-based
constexpr int kChildRun = 10, kChildExit = 3;

// The peers' lock: taken at once if free, else the taker queues, and the
// release hands ownership to the first in line, waking it.
class HandoffLock {
 public:
  // true: taken; false: t is queued and must block() until handed the lock.
  bool try_take(Kthread& t) {
    if (!owner_) {
      owner_ = &t;
      return true;
    }
    waiters_.push_back(&t);
    return false;
  }
  void release() {
    if (head_ == waiters_.size()) {
      owner_ = nullptr;
      return;
    }
    owner_ = waiters_[head_++];
    if (head_ == waiters_.size()) waiters_.clear(), head_ = 0;
    owner_->wake();
  }

 private:
  Kthread* owner_ = nullptr;
  std::vector<Kthread*> waiters_;  // a FIFO: [head_, size) wait
  size_t head_ = 0;
};

struct Model {
  Dispatcher& disp;
  int64_t horizon;
  HandoffLock pidlock;
  std::vector<HandoffLock> p_lock;
  std::vector<std::unique_ptr<Kthread>> parents, children;
  int64_t forks = 0;
};

// One CPU burst of d units, under `lock` if not null: the lock first, then
// a CPU from the dispatcher's FIFO queue; the CPU given back, then the lock.
Co<void> burst(Model& m, Kthread& t, int d, HandoffLock* lock) {
  if (lock && !lock->try_take(t)) co_await t.block();
  co_await m.disp.run(t);
  co_await t.charge(d * kUnitNs);
  co_await t.flush();
  m.disp.release(t);
  if (lock) lock->release();
}

Co<void> child(Model& m, Kthread& t, Kthread& parent) {
  co_await burst(m, t, kChildRun, nullptr);
  co_await burst(m, t, kChildExit, &m.pidlock);
  parent.wake();
}

Co<void> parent(Model& m, int id) {
  Kthread& t = *m.parents[id];
  for (;;) {
    for (int i = 0; i < kSteps; ++i) {
      HandoffLock* lock = i == kPLockStep                              ? &m.p_lock[id]
                          : (i == kPidlockStep1 || i == kPidlockStep2) ? &m.pidlock
                                                                       : nullptr;
      co_await burst(m, t, kBurst[i], lock);
    }
    spawn(child(m, *m.children[id], t));
    co_await t.block();
    if (SimEngine::now() <= static_cast<double>(m.horizon)) ++m.forks;
  }
}

}  // namespace

RefForkRun run_ref_fork(int cpus, int parents, int64_t horizon_us) {
  if (cpus < 1 || parents < 1 || horizon_us < 0)
    throw std::invalid_argument("run_ref_fork: cpus and parents must be >= 1, the horizon >= 0");
  for (int d : kBurst)
    if (d * kUnitNs * 1e-9 != d) throw std::logic_error("run_ref_fork: a burst is not exact in engine units");
  SimEngine engine;
  Probes probes;
  probes.window_end_s = static_cast<double>(horizon_us);
  Dispatcher disp(cpus, probes, [] { return 0.0; });
  Model m{disp, horizon_us, {}, std::vector<HandoffLock>(parents), {}, {}, 0};
  for (int p = 0; p < parents; ++p) {
    m.parents.push_back(std::make_unique<Kthread>(disp, p));
    m.children.push_back(std::make_unique<Kthread>(disp, parents + p));
  }
  for (int p = 0; p < parents; ++p) spawn(parent(m, p));
  auto t0 = std::chrono::steady_clock::now();
  // Every event at a date <= the horizon is run; the next is a whole unit later.
  engine.run_until(static_cast<double>(horizon_us) + 0.5);
  RefForkRun r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.forks = m.forks;
  r.events = engine.resumptions();
  r.rounds = engine.rounds();
  return r;
}

}  // namespace forksim
