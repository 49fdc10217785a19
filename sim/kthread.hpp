// A simulated kernel thread: one SimGrid actor that runs model code.
//
// CPU work is not simulated step by step: charge() adds to a pending total,
// and flush() turns it into one sleep just before the thread next touches
// shared state (a lock, the process table, another thread). Consecutive
// steps that take no lock therefore cost one engine event, and the answer
// is the same as sleeping per step, because nothing else can observe the
// thread in between.
//
// block() and wake() are the one way a thread waits: on a CPU, a lock, a
// child. A wake() that comes before its block() is remembered.
#pragma once
#include <cstdint>
#include <simgrid/s4u.hpp>
#include <vector>

namespace forksim {

class KMutex;
class Dispatcher;

class Kthread {
 public:
  enum class State : uint8_t {
    New,        // created, not yet runnable
    OnCpu,      // running (kernel or user code)
    Spinning,   // on a CPU, spinning for a lock whose owner runs
    LockSleep,  // off CPU, asleep on a lock's turnstile
    RunQueue,   // runnable, waiting for a CPU
    Sleeping,   // off CPU for any other reason (delay, wait, think)
    Dead,
  };

  Kthread(Dispatcher& disp, int id);

  void charge(double ns);
  void flush();
  double pending_ns() const { return pending_ns_; }

  void block();
  void wake();

  // Sleeps off CPU until time t (a kernel sleep such as delay()).
  void sleep_until(double t);

  // The thread's actor waits `seconds` (or until time t), on or off CPU.
  // A timed-out acquire of a semaphore nobody releases: the same wait as
  // this_actor::sleep_for, through a plain timer instead of a CPU-model
  // sleep action, which costs SimGrid less per wait. Each thread has its
  // own: a shared one would keep every sleeper in one waiting list.
  void wait_for(double seconds) { timer_->acquire_timeout(seconds); }
  void wait_until(double t);

  Dispatcher& dispatcher() { return *disp_; }
  int id() const { return id_; }
  bool on_cpu() const { return state_ == State::OnCpu || state_ == State::Spinning; }
  State state() const { return state_; }

  std::vector<KMutex*>& held() { return held_; }

 private:
  friend class Dispatcher;
  friend class KMutex;

  Dispatcher* disp_;
  int id_;
  State state_ = State::New;
  double pending_ns_ = 0;
  double since_ = 0;          // when the current state began (CPU accounting)
  double spin_since_ = 0;
  simgrid::s4u::SemaphorePtr sem_;
  simgrid::s4u::SemaphorePtr timer_;  // never released: only times out
  std::vector<KMutex*> held_;
};

}  // namespace forksim
