// The CPUs and illumos's dispatcher (disp.c) with the SYS, TS and RT
// classes (sysclass.c, ts.c, rt.c): at most ncpus threads run, the rest
// wait in dispatch queues, one FIFO per global priority (0-59 TS, 60-99
// SYS, 100-159 RT), the highest first.
//
// One queue for the whole machine, not one per CPU: illumos queues a thread
// on one CPU and idle CPUs steal from the others, so a single queue is the
// limit of perfect balancing (no CPU idles while a thread waits, and the
// best waiting thread runs first); it costs the model nothing per CPU.
// cpu_resched's choice of CPU becomes: the lowest-priority running thread
// that can be preempted at once.
//
// Priorities follow the classes' code with the tables of sim/ts_dptbl.hpp:
// - TS (ts.c): a thread's ts_cpupri falls to ts_tqexp when its quantum of
//   CPU runs out (ts_tick), and to ts_tqexp at fork return (ts_forkret,
//   which then gives up the CPU so that the child runs first). ts_update,
//   once a second, counts ts_dispwait; a thread that went longer than
//   ts_maxwait without a reset is raised to ts_lwait if queued or asleep,
//   or to ts_slpret at its next sleep, wake-up or return to user mode.
//   So a short sleep keeps its priority; with the default table a thread
//   sleeping across a ts_update pass wakes at 50-59. A woken thread goes to
//   the back of its queue, or the front if it was dispatched in the
//   current clock tick (t_disp_time); one preempted mid-quantum to the
//   front, one whose quantum ran out to the back with a new quantum.
// - RT (rt.c): fixed priority, round robin at quantum expiry.
// - SYS: fixed priority, no quantum.
// Quanta are ts_dptbl's ticks at `hz`, times `quantum_scale`; CPU time is
// charged to the quantum continuously (the kernel charges whole ticks:
// the same on average). A quantum that ends in kernel mode lowers the
// priority once; the kernel would lower it again at each further tick
// until the thread is preempted.
//
// Preemption (cpu_resched, kpreemptpri): a thread made runnable preempts a
// lower-priority thread doing user-mode work at once (the poke and the AST
// cost microseconds, not modelled), and kernel-mode work only if its
// priority is at least kpreemptpri (99: SYS's highest and RT), so that a
// TS lock holder in the kernel keeps its CPU. Other threads see a better
// one waiting when they return to user mode (trap_return) or block; a
// kernel-mode thread at a priority below a waiting >= 99 thread is
// preempted before its next CPU work. A thread spinning for a mutex is not
// preempted (illumos would, for RT); priority inheritance is not modelled.
//
// Gating the CPUs here, rather than letting SimGrid share a host among every
// thread's execute(), is both the honest model of a dispatcher and what keeps
// a fork bomb's 30,000 runnable threads affordable (docs/performance.md).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/kthread.hpp"
#include "sim/ts_dptbl.hpp"

namespace forksim {

class Trace;

class Dispatcher {
 public:
  // switch_cost_ns: drawn for each dispatch (the costs table's "ctxsw").
  Dispatcher(int ncpus, Probes& probes, std::function<double()> switch_cost_ns);

  // The calling thread t, off CPU, is runnable (its sleep ended: the
  // class's wakeup); returns once it has a CPU.
  Soon run(Kthread& t);
  // Another thread makes t (blocked in block()) runnable (CL_WAKEUP or
  // CL_SETRUN, which are the same in TS); t's block() returns once it has
  // a CPU.
  void make_runnable(Kthread& t);
  // t gives up its CPU to sleep or block (CL_SLEEP). Threads spinning on
  // locks that t holds stop spinning and sleep on the lock instead
  // (adaptive mutex).
  void release(Kthread& t, Kthread::State new_state = Kthread::State::Sleeping);
  // CL_FORKRET's scheduling in the parent t, after the child is runnable:
  // TS lowers t to ts_tqexp, queues it and switches (t may be picked again
  // at once); SYS and RT keep running.
  Co<void> forkret(Kthread& t);
  // ts_forkret proper, for a TS thread whose CPU work is flushed: true when
  // t was queued and must block() (forkret is: flush, this, block).
  bool ts_forkret(Kthread& t);
  // t returns to user mode: preempted here if a better thread waits or its
  // quantum ran out (cpu_runrun).
  Soon trap_return(Kthread& t);
  // User-mode CPU work of `seconds` (at cpu_speed 1): time-sliced by the
  // quantum, preemptible at once.
  Co<void> run_user(Kthread& t, double seconds);
  // The same, cut short by an AST (poke): returns the work left (at
  // cpu_speed 1), 0 when it is all done. The AST stays pending for the
  // caller's hold point to clear.
  Co<double> run_user_until_ast(Kthread& t, double seconds);
  // pokelwps's aston + poke_cpu: posts an AST to t. A thread in a
  // user-mode burst on a CPU leaves it at once (the cross-call's trap),
  // one preempted in a burst as soon as it is dispatched again; any other
  // sees the AST before its next burst. The poke's cost is the poker's.
  void poke(Kthread& t);
  // t is done for good: gives up its CPU if it had one.
  Co<void> exit_thread(Kthread& t);

  // t's quantum at its current level, in seconds (0 for SYS: none).
  double quantum_s(const Kthread& t) const;
  // A thread at >= kpreemptpri above t waits: t's next CPU work is
  // preempted first.
  bool kpreempt_pending(const Kthread& t) const {
    return maxrunpri_ >= kKpreemptPri && maxrunpri_ > t.pri_;
  }

  int ncpus() const { return ncpus_; }
  // CPU time threads have held since the start, window or not (the time
  // series' utilization per interval is its difference).
  double busy_s_so_far() const;
  int busy() const { return busy_; }
  size_t queued() const { return nqueued_; }
  int maxrunpri() const { return maxrunpri_; }  // -1: nothing queued
  int threads_blocked() const { return blocked_; }

  Probes& probes() { return probes_; }
  // The timeline recorder (sim/trace.hpp) the hooks report to; null: none.
  void set_trace(Trace* t) { trace_ = t; }
  Trace* trace() const { return trace_; }
  double cpu_speed = 1.0;
  int hz = 100;               // clock ticks per second: quanta and t_disp_time
  double quantum_scale = 1.0; // every TS and RT quantum times this
  // Off by default: consecutive charges are flushed as one wait (Kthread).
  // On: a wait per charged step, as a naive simulator would do; a test
  // holds the two to the same answer.
  bool step_by_step = false;

 private:
  friend class Kthread;
  static Co<void> wait_block(Kthread& t);

  // The dispatch queues (disp_q[], disp_qactmap, disp_maxrunpri).
  void enqueue(Kthread& t, bool front);  // t becomes RunQueue
  void link(Kthread& t, bool front);
  void dequeue(Kthread& t);
  // Class setrun/wakeup: the priority on wake-up; true: to the queue's front.
  bool wakeup(Kthread& t);
  // Class preempt: queue front, or back with a new quantum once it ran out.
  void requeue_preempted(Kthread& t);
  // Idle CPUs take the best queued threads.
  void fill_cpus();
  void grant(Kthread& t);
  void resume_granted(Kthread& t);
  void leave_cpu(Kthread& t, Kthread::State new_state);
  // A thread of priority pri was queued: preempt a lower one if one can be.
  void cpu_resched(int pri);
  // v, in a CPU wait, or about to start `left_s` of CPU work (resuming h),
  // loses its CPU.
  void preempt(Kthread& v);
  void preempt_before(Kthread& v, std::coroutine_handle<> h, double left_s);
  // A better thread waits, or t's quantum ran out with an equal one waiting.
  bool must_surrender(const Kthread& t) const {
    return maxrunpri_ > t.pri_ || (t.backq_ && maxrunpri_ >= t.pri_);
  }
  Co<void> surrender(Kthread& t);

  // Class clock: CPU time since t.slice_from_ charged to the quantum
  // (ts_tick/rt_tick at expiry).
  void tick(Kthread& t, double now);
  // ts_update passes since t last saw one, in the state t is in (TS).
  void ts_catch_up(Kthread& t);
  void ts_level(Kthread& t, int cpupri);
  // ts_slpret when dispwait > maxwait (ts_sleep, ts_wakeup, ts_trapret).
  void ts_slpret(Kthread& t);
  void ts_update_queued();
  Co<void> ts_update_loop();

  long tick_now() const;
  void account_off_cpu(Kthread& t, double now);

  int ncpus_;
  int busy_ = 0;
  double busy_left_s_ = 0;  // CPU time of the threads that have left their CPUs
  int blocked_ = 0;  // threads waiting in block() or preempted, right now
  int nuser_ = 0;    // on-CPU threads in user mode
  size_t nqueued_ = 0;
  int maxrunpri_ = -1;
  bool update_armed_ = false;
  struct Level {
    Kthread* first = nullptr;
    Kthread* last = nullptr;
  };
  std::array<Level, kNumPri> q_;
  std::array<uint64_t, (kNumPri + 63) / 64> active_{};  // levels with threads queued
  std::vector<Kthread*> oncpu_;
  std::vector<Kthread*> update_scratch_;  // ts_update_queued's list, kept between passes
  Probes& probes_;
  std::function<double()> switch_cost_ns_;
  Trace* trace_ = nullptr;
};

// Seconds of [a, b] inside the probes' measurement window.
double window_overlap(const Probes& p, double a, double b);

}  // namespace forksim
