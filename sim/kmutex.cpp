#include "sim/kmutex.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/dispatcher.hpp"
#include "sim/engine.hpp"

namespace forksim {

Co<void> KMutex::enter(Kthread& t) {
  co_await t.flush();
  if (owner_ == &t) throw std::logic_error("mutex entered twice by its owner");
  double start = SimEngine::now();
  Probes& pr = t.dispatcher().probes();
  bool counted = pr.in_window(start);
  if (counted) ++stats_->acquisitions;
  if (owner_ == nullptr) {
    owner_ = &t;
    acquired_at_ = start;
    t.held_.push_back(this);
    co_return;
  }
  if (counted) ++stats_->contended;
  // Try until we own it: a spinner is handed the lock; a sleeper is only
  // woken, and must try again once it is back on a CPU.
  while (owner_ != &t) {
    if (owner_ == nullptr) {
      owner_ = &t;
      acquired_at_ = SimEngine::now();
      t.held_.push_back(this);
      break;
    }
    if (owner_->on_cpu()) {
      t.state_ = Kthread::State::Spinning;
      t.spin_since_ = SimEngine::now();
      spinners_.push_back(&t);
      co_await t.block();
      if (t.state_ == Kthread::State::Spinning) {  // handed the lock on our CPU
        stats_->spin_cpu_s += window_overlap(pr, t.spin_since_, SimEngine::now());
        t.state_ = Kthread::State::OnCpu;
        co_await t.charge((*handoff_cost_ns_)());
      }
    } else {
      // Queue first: releasing the CPU wakes other threads, and the owner
      // may run and exit the lock before we block; it must find us.
      sleepers_.push_back(&t);
      t.dispatcher().release(t, Kthread::State::LockSleep);
      co_await t.block();
    }
    co_await t.flush();  // a dispatch charged a context switch
  }
  if (counted) {
    double w = SimEngine::now() - start;
    stats_->wait_sum_s += w;
    stats_->wait_max_s = std::max(stats_->wait_max_s, w);
  }
}

Co<void> KMutex::exit(Kthread& t) {
  co_await t.flush();
  if (owner_ != &t) throw std::logic_error("mutex exited by a thread that does not own it");
  double now = SimEngine::now();
  Dispatcher& d = t.dispatcher();
  add_hold(d.probes(), acquired_at_, now);
  auto& h = t.held_;
  h.erase(std::find(h.begin(), h.end(), this));
  if (!spinners_.empty()) {
    Kthread* next = spinners_.front();
    spinners_.erase(spinners_.begin());
    owner_ = next;
    acquired_at_ = now;
    next->held_.push_back(this);
    next->wake();
    co_return;
  }
  owner_ = nullptr;
  // Take the list first: each wake lets other threads run, and they may
  // queue on this lock again.
  std::vector<Kthread*> woken;
  woken.swap(sleepers_);
  for (Kthread* w : woken) d.make_runnable(*w);
}

static double local_clock(Kthread& t) {
  return SimEngine::now() + t.pending_ns() * 1e-9 / t.dispatcher().cpu_speed;
}

void KMutex::enter_private(Kthread& t) {
  if (owner_ != nullptr || !spinners_.empty() || !sleepers_.empty())
    throw std::logic_error("private entry of a mutex in use");
  double at = local_clock(t);
  owner_ = &t;
  acquired_at_ = at;
  if (t.dispatcher().probes().in_window(at)) ++stats_->acquisitions;
}

void KMutex::exit_private(Kthread& t) {
  if (owner_ != &t) throw std::logic_error("private exit of a mutex not held");
  add_hold(t.dispatcher().probes(), acquired_at_, local_clock(t));
  owner_ = nullptr;
}

// Kept current at each release rather than folded in at the end: a compare
// per release costs less than finding every instance when the window
// closes, and a run stopped early needs no extra step.
void KMutex::add_hold(const Probes& pr, double from, double to) {
  double h = window_overlap(pr, from, to);
  stats_->hold_sum_s += h;
  hold_s_ += h;
  if (hold_s_ > stats_->instance_hold_max_s) stats_->instance_hold_max_s = hold_s_;
}

void KMutex::owner_off_cpu(Dispatcher& d) {
  double now = SimEngine::now();
  std::vector<Kthread*> spinners;
  spinners.swap(spinners_);
  for (Kthread* w : spinners) {
    stats_->spin_cpu_s += window_overlap(d.probes(), w->spin_since_, now);
    sleepers_.push_back(w);
  }
  // Each release below wakes threads; the bookkeeping above is done first.
  for (Kthread* w : spinners) d.release(*w, Kthread::State::LockSleep);
}

}  // namespace forksim
