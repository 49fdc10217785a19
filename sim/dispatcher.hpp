// The CPUs: at most ncpus threads run, the rest wait in a run queue.
//
// A thread keeps its CPU from dispatch until it blocks, sleeps, yields or
// exits, as a kernel thread does; there is no time slicing of kernel code.
// The run queue has two levels, each first come first served: threads woken
// from a sleep (a lock handed over, a delay(), cv_wait or sleeping system
// call such as nanosleep or waitid ended) queue ahead of threads that were
// preempted, yielded or are new, as illumos's TS class gives a thread back
// from sleep its high ts_slpret priority and lowers CPU-bound ones.
// Each dispatch charges the thread one context switch.
//
// Gating the CPUs here, rather than letting SimGrid share a host among every
// thread's execute(), is both the honest model of a dispatcher and what keeps
// a fork bomb's 30,000 runnable threads affordable (docs/performance.md).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/kthread.hpp"

namespace forksim {

enum class Prio : uint8_t { Kernel, User };

class Dispatcher {
 public:
  // switch_cost_ns: drawn for each dispatch (the costs table's "ctxsw").
  Dispatcher(int ncpus, Probes& probes, std::function<double()> switch_cost_ns);

  // The calling thread t wants a CPU; returns once it has one.
  Soon run(Kthread& t, Prio p);
  // Another thread makes t (blocked in block()) runnable; t's block()
  // returns once it has a CPU.
  void make_runnable(Kthread& t, Prio p);
  // t gives up its CPU to sleep or block. Threads spinning on locks that t
  // holds stop spinning and sleep on the lock instead (adaptive mutex).
  void release(Kthread& t, Kthread::State new_state = Kthread::State::Sleeping);
  // t goes behind every runnable thread of its level (user priority).
  Co<void> yield(Kthread& t);
  // User-mode CPU work of `seconds`, sliced at `quantum_s` when others wait.
  Co<void> run_user(Kthread& t, double seconds, double quantum_s);
  // t is done for good: gives up its CPU if it had one.
  Co<void> exit_thread(Kthread& t);


  int ncpus() const { return ncpus_; }
  int busy() const { return busy_; }
  size_t queued() const { return kq_.size() + uq_.size(); }
  int threads_blocked() const { return blocked_; }

  Probes& probes() { return probes_; }
  double cpu_speed = 1.0;
  // Off by default: consecutive charges are flushed as one wait (Kthread).
  // On: a wait per charged step, as a naive simulator would do; a test
  // holds the two to the same answer.
  bool step_by_step = false;

 private:
  friend class Kthread;
  void grant(Kthread& t);
  static Co<void> wait_block(Kthread& t);
  void account_off_cpu(Kthread& t, double now);

  int ncpus_;
  int busy_ = 0;
  int blocked_ = 0;  // threads waiting in block() right now
  std::deque<Kthread*> kq_, uq_;
  Probes& probes_;
  std::function<double()> switch_cost_ns_;
};

// Seconds of [a, b] inside the probes' measurement window.
double window_overlap(const Probes& p, double a, double b);

}  // namespace forksim
