// An illumos adaptive mutex (mutex.c): a waiter spins, burning its CPU,
// while the owner runs on a CPU, and sleeps on the lock's turnstile once the
// owner is off CPU. On release a spinning waiter takes the lock at once (the
// longest spinner first: the real ones race for the cache line, FIFO keeps
// runs deterministic). With no spinner, the lock is left free and every
// sleeper is woken to try again when it next runs (mutex_vector_exit's
// turnstile_wakeup of all waiters): a woken sleeper does not own the lock
// while it waits for a CPU, so no convoy forms behind a descheduled owner.
//
// A spinner handed the lock pays mutex_handoff (the lock's cache line
// moving); a sleeper pays a context switch when it is dispatched again.
// Statistics go to a LockStats shared by every instance of the same name
// (p_lock of every process counts as one). Each instance also keeps its own
// hold time, so the stats know the busiest instance: a per-process lock's
// summed hold time says nothing about how busy one of them is.
#pragma once
#include <vector>
#include <functional>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/kthread.hpp"

namespace forksim {

class KMutex {
 public:
  // handoff_cost_ns is shared by every mutex and must outlive them.
  KMutex(LockStats& stats, const std::function<double()>& handoff_cost_ns)
      : stats_(&stats), handoff_cost_ns_(&handoff_cost_ns) {}
  KMutex(const KMutex&) = delete;
  KMutex& operator=(const KMutex&) = delete;

  Co<void> enter(Kthread& t);
  Co<void> exit(Kthread& t);
  // For a lock no other thread can touch until the matching exit (the
  // caller's model guarantees it): taken and released at the thread's own
  // clock, its pending CPU work included, without flushing it. Same
  // statistics, no engine event. Throws if the lock is in use.
  void enter_private(Kthread& t);
  void exit_private(Kthread& t);

  bool held() const { return owner_ != nullptr; }
  Kthread* owner() const { return owner_; }
  size_t waiters() const { return spinners_.size() + sleepers_.size(); }

 private:
  friend class Dispatcher;
  // The owner has left its CPU: spinners go to sleep on the turnstile.
  void owner_off_cpu(Dispatcher& d);
  // The lock was held from `from` to `to`: its part inside the window.
  void add_hold(const Probes& pr, double from, double to);

  LockStats* stats_;
  const std::function<double()>* handoff_cost_ns_;
  Kthread* owner_ = nullptr;
  double acquired_at_ = 0;
  double hold_s_ = 0;  // this instance's hold time inside the window
  // Vectors, not deques: a deque allocates on construction, and every
  // process has three mutexes. Spinners are at most ncpus (each holds a
  // CPU), so taking the front is cheap.
  std::vector<Kthread*> spinners_;  // on their CPUs, handed the lock in order
  std::vector<Kthread*> sleepers_;  // on the turnstile, woken all at once
};

}  // namespace forksim
