#include "sim/dispatcher.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/engine.hpp"
#include "sim/kmutex.hpp"

namespace forksim {

double window_overlap(const Probes& p, double a, double b) {
  return std::max(0.0, std::min(b, p.window_end_s) - std::max(a, p.window_start_s));
}

Dispatcher::Dispatcher(int ncpus, Probes& probes, std::function<double()> switch_cost_ns)
    : ncpus_(ncpus), probes_(probes), switch_cost_ns_(std::move(switch_cost_ns)) {
  probes_.ncpus = ncpus;
}

void Dispatcher::grant(Kthread& t) {
  double now = SimEngine::now();
  if (t.state_ == Kthread::State::RunQueue)
    probes_.runq_wait_sum_s += window_overlap(probes_, t.since_, now);
  ++busy_;
  t.state_ = Kthread::State::OnCpu;
  t.since_ = now;
  if (probes_.in_window(now)) ++probes_.dispatches;
  // Added, not charge()d: grant() runs in the releasing thread's code, and
  // a step-by-step charge would wait there.
  t.pending_ns_ += switch_cost_ns_();
}

Soon Dispatcher::run(Kthread& t, Prio p) {
  if (t.on_cpu()) throw std::logic_error("run() by a thread already on a CPU");
  if (busy_ < ncpus_ && kq_.empty() && uq_.empty()) {
    grant(t);
    return {};
  }
  t.state_ = Kthread::State::RunQueue;
  t.since_ = SimEngine::now();
  (p == Prio::Kernel ? kq_ : uq_).push_back(&t);
  return wait_block(t);
}

Co<void> Dispatcher::wait_block(Kthread& t) { co_await t.block(); }

void Dispatcher::make_runnable(Kthread& t, Prio p) {
  if (busy_ < ncpus_ && kq_.empty() && uq_.empty()) {
    grant(t);
    t.wake();
    return;
  }
  t.state_ = Kthread::State::RunQueue;
  t.since_ = SimEngine::now();
  (p == Prio::Kernel ? kq_ : uq_).push_back(&t);
}

void Dispatcher::account_off_cpu(Kthread& t, double now) {
  probes_.cpu_busy_s += window_overlap(probes_, t.since_, now);
}

void Dispatcher::release(Kthread& t, Kthread::State new_state) {
  if (!t.on_cpu()) throw std::logic_error("release() by a thread off CPU");
  if (t.pending_ns_ > 0) throw std::logic_error("release() with CPU work not flushed");
  double now = SimEngine::now();
  account_off_cpu(t, now);
  t.state_ = new_state;
  t.since_ = now;
  --busy_;
  // Spinners on t's locks now see an owner off CPU: they go to sleep, which
  // frees their CPUs too (and so on down any chain of held locks).
  std::vector<KMutex*> held = t.held_;  // wakes below let other threads run
  for (KMutex* m : held) m->owner_off_cpu(*this);
  while (busy_ < ncpus_ && (!kq_.empty() || !uq_.empty())) {
    auto& q = kq_.empty() ? uq_ : kq_;
    Kthread* next = q.front();
    q.pop_front();
    grant(*next);
    next->wake();
  }
}

Co<void> Dispatcher::yield(Kthread& t) {
  co_await t.flush();
  if (kq_.empty() && uq_.empty()) co_return;  // nobody to give the CPU to
  release(t, Kthread::State::Sleeping);
  co_await run(t, Prio::User);
}

Co<void> Dispatcher::run_user(Kthread& t, double seconds, double quantum_s) {
  while (seconds > 0) {
    // Work is given at the reference speed; the quantum is wall time.
    double slice = std::min(seconds, quantum_s * cpu_speed);
    co_await t.charge(slice * 1e9);
    co_await t.flush();
    seconds -= slice;
    if (seconds > 0) co_await yield(t);
  }
}

Co<void> Dispatcher::exit_thread(Kthread& t) {
  co_await t.flush();
  // Once release() wakes other threads, t may be reaped and reused: touch
  // nothing of it afterwards.
  if (t.on_cpu())
    release(t, Kthread::State::Dead);
  else
    t.state_ = Kthread::State::Dead;
}

}  // namespace forksim
