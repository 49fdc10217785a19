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
// Each thread has a scheduling class and the class's state (illumos's
// tsproc_t / rtproc_t): SYS (a fixed priority; the default, so that a bare
// Kthread is a kernel thread with first-come-first-served dispatch), TS
// (ts_cpupri, the quantum left, ts_dispwait) or RT. The Dispatcher keeps
// them; CPU work waits (flush, user-mode bursts) can be preempted.
//
//   co_await t.charge(ns);   co_await t.flush();   co_await t.block();
#pragma once
#include <coroutine>
#include <cstdint>
#include <vector>

#include "sim/coro.hpp"
#include "sim/engine.hpp"
#include "sim/pool.hpp"
#include "sim/ptr_list.hpp"

namespace forksim {

class KMutex;
class Dispatcher;

enum class SchedClass : uint8_t { SYS, TS, RT };

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
  // A fork bomb makes a million of them: from the pool, without malloc's
  // header and its costly frees at the run's end.
  static void* operator new(std::size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }

  // Waits for the thread's pending CPU work to be done (no wait if none).
  struct [[nodiscard]] Flush {
    Kthread* t;
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> h) const;
    void await_resume() const noexcept { t->in_cpu_wait_ = false; }
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
  // This thread's clock: the engine's time plus its CPU work not yet flushed.
  double clock() const;

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
  // waits for a CPU.
  Co<void> sleep_until(double t);

  // Enters a class (priocntl/ts_enterclass): SYS at global priority `pri`,
  // TS at ts_cpupri `pri` with a fresh quantum, RT at rt_pri `pri`.
  void set_class(SchedClass c, int pri);
  // A new LWP of a fork takes its creator's class state (ts_fork, rt_fork).
  void inherit_class(const Kthread& parent);
  SchedClass sched_class() const { return cls_; }
  int pri() const { return pri_; }          // global priority, 0..159
  int ts_cpupri() const { return cpupri_; }  // TS: the ts_dptbl level
  bool user_mode() const { return user_; }
  // An AST posted by Dispatcher::poke (t_astflag): the thread's next
  // return to the kernel is a hold point. Cleared there.
  bool ast_pending() const { return ast_; }
  void clear_ast() { ast_ = false; }

  Dispatcher& dispatcher() { return *disp_; }
  int id() const { return id_; }
  bool on_cpu() const { return state_ == State::OnCpu || state_ == State::Spinning; }
  State state() const { return state_; }

  PtrList<KMutex*>& held() { return held_; }

 private:
  friend class Dispatcher;
  friend class KMutex;

  // A cancellable wait for `s` seconds of CPU work (the dispatcher may
  // preempt it and re-arm what is left).
  struct CpuWait {
    Kthread* t;
    double s;
    bool await_ready() const;
    void await_suspend(std::coroutine_handle<> h) const;
    void await_resume() const noexcept { t->in_cpu_wait_ = false; }
  };
  void arm_cpu_wait(double end, std::coroutine_handle<> h);

  // Ordered for packing: a fork bomb has a million threads.
  Dispatcher* disp_;
  // Scheduling (the Dispatcher's). Global priority and class state.
  double cut_left_s_ = 0;     // what a poke left undone of the burst it cut
  long pass_seen_ = 0;        // the last ts_update pass accounted for
  long disp_tick_ = -1;       // t_disp_time: the clock tick of its last dispatch
  double timeleft_s_ = 0;     // quantum left, seconds of CPU
  double slice_from_ = 0;     // on-CPU time before this is charged to the quantum
  Kthread* next_ = nullptr;   // run queue links
  Kthread* prev_ = nullptr;
  // A CPU wait in progress (flush or user burst): its end and coroutine,
  // the engine's token to cancel it, and what is left of one preempted.
  double cpu_wait_end_ = 0;
  double wait_left_s_ = 0;
  uint64_t wait_token_ = 0;
  std::coroutine_handle<> cpu_wait_h_;
  double pending_ns_ = 0;
  double since_ = 0;          // when the current state began (CPU accounting)
  double spin_since_ = 0;
  std::coroutine_handle<> blocked_;  // set while in block()
  PtrList<KMutex*> held_;
  int id_;
  int dispwait_ = 0;          // TS: ts_update passes since the last reset
  int cpu_slot_ = -1;         // index in the dispatcher's on-CPU list
  int wakeups_ = 0;           // wake()s not yet consumed by a block()
  int16_t pri_ = 60;
  int16_t cpupri_ = 0;        // TS: ts_cpupri; RT: rt_pri
  State state_ = State::New;
  SchedClass cls_ = SchedClass::SYS;
  bool user_ = false;         // in a user-mode burst (run_user)
  bool ast_ = false;          // poked: leaves user mode at once (pokelwps)
  bool user_burst_ = false;   // in run_user's CPU wait proper (not its switch's flush)
  bool backq_ = false;        // TSBACKQ/RTBACKQ: the quantum ran out on CPU
  bool trapret_ = false;      // t_trapret: ts_update saw it on CPU
  bool in_cpu_wait_ = false;
};

}  // namespace forksim
