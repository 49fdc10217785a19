// A simulated kernel thread: the state the dispatcher and the locks keep
// for one LWP, whose code is a coroutine chain (sim/coro.hpp).
//
// CPU work is not simulated step by step: charge() adds to a pending total,
// and flush() turns it into one timed wait just before the thread next
// touches shared state (a lock, the process table, another thread).
// Consecutive steps that take no lock therefore cost one engine event, and
// the answer is the same as waiting per step, because nothing else can
// observe the thread in between. With the dispatcher's step_by_step on,
// every charge is such a wait, which a test holds to the same answer.
//
// block() and wake() are the one way a thread waits on another: for a CPU,
// a lock, a child. A wake() that comes before its block() is remembered.
//
//   co_await t.charge(ns);   co_await t.flush();   co_await t.block();
#pragma once
#include <coroutine>
#include <cstdint>
#include <vector>

#include "sim/coro.hpp"
#include "sim/engine.hpp"

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

  // Waits for the thread's pending CPU work to be done (no wait if none).
  struct [[nodiscard]] Flush {
    Kthread* t;
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> h) const;
    void await_resume() const noexcept {}
  };
  Flush flush() { return {this}; }

  // Adds CPU work; awaiting it is a no-op unless the engine runs step by
  // step, when it is a flush.
  struct [[nodiscard]] Charge {
    Kthread* t;
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> h) const { Flush{t}.await_suspend(h); }
    void await_resume() const noexcept {}
  };
  Charge charge(double ns) {
    pending_ns_ += ns;
    return {this};
  }
  double pending_ns() const { return pending_ns_; }

  struct [[nodiscard]] Block {
    Kthread* t;
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> h) noexcept;
    void await_resume() const noexcept {}
  };
  Block block() { return {this}; }
  void wake();
  // wake() at time `at` (now if it is not in the future), for a thread
  // already in block(): a wait whose end is known when it is decided (a
  // spinner's next look at a lock).
  void wake_at(double at);

  // Sleeps off CPU until time t (a kernel sleep such as delay()), then
  // waits for a CPU at kernel priority.
  Co<void> sleep_until(double t);

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
  int wakeups_ = 0;           // wake()s not yet consumed by a block()
  double pending_ns_ = 0;
  double since_ = 0;          // when the current state began (CPU accounting)
  double spin_since_ = 0;
  std::coroutine_handle<> blocked_;  // set while in block()
  std::vector<KMutex*> held_;
};

}  // namespace forksim
