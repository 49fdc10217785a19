#include "sim/dispatcher.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "sim/engine.hpp"
#include "sim/kmutex.hpp"
#include "sim/trace.hpp"

namespace forksim {

namespace {
// A quantum this close to its end has ended (rounding of the slices).
constexpr double kQuantumEps = 1e-12;
constexpr uint64_t kCancelled = UINT64_MAX;  // never a wait's number
}  // namespace

double window_overlap(const Probes& p, double a, double b) {
  return std::max(0.0, std::min(b, p.window_end_s) - std::max(a, p.window_start_s));
}

Dispatcher::Dispatcher(int ncpus, Probes& probes, std::function<double()> switch_cost_ns)
    : ncpus_(ncpus), probes_(probes), switch_cost_ns_(std::move(switch_cost_ns)) {
  probes_.ncpus = ncpus;
  oncpu_.reserve(ncpus);
}

long Dispatcher::tick_now() const {
  return static_cast<long>(SimEngine::now() * hz);  // time is never negative: truncation floors
}

double Dispatcher::quantum_s(const Kthread& t) const {
  switch (t.cls_) {
    case SchedClass::TS: return kTsDptbl[t.cpupri_].quantum * quantum_scale / hz;
    case SchedClass::RT: return kRtQuantum[t.cpupri_] * quantum_scale / hz;
    case SchedClass::SYS: break;
  }
  return 0;
}

// ---- dispatch queues ------------------------------------------------------

void Dispatcher::enqueue(Kthread& t, bool front) {
  if (trace_) trace_->queued(t);
  t.state_ = Kthread::State::RunQueue;
  t.since_ = SimEngine::now();
  link(t, front);
  if (t.cls_ == SchedClass::TS && !update_armed_) {
    update_armed_ = true;
    spawn(ts_update_loop());
  }
}

void Dispatcher::link(Kthread& t, bool front) {
  Level& l = q_[t.pri_];
  t.next_ = t.prev_ = nullptr;
  if (!l.first) {
    l.first = l.last = &t;
    active_[t.pri_ / 64] |= uint64_t{1} << (t.pri_ % 64);
  } else if (front) {
    t.next_ = l.first;
    l.first->prev_ = &t;
    l.first = &t;
  } else {
    t.prev_ = l.last;
    l.last->next_ = &t;
    l.last = &t;
  }
  maxrunpri_ = std::max<int>(maxrunpri_, t.pri_);
  ++nqueued_;
}

void Dispatcher::dequeue(Kthread& t) {
  Level& l = q_[t.pri_];
  (t.prev_ ? t.prev_->next_ : l.first) = t.next_;
  (t.next_ ? t.next_->prev_ : l.last) = t.prev_;
  t.next_ = t.prev_ = nullptr;
  --nqueued_;
  if (!l.first) {
    active_[t.pri_ / 64] &= ~(uint64_t{1} << (t.pri_ % 64));
    if (t.pri_ == maxrunpri_) {
      maxrunpri_ = -1;
      for (int w = static_cast<int>(active_.size()) - 1; w >= 0; --w)
        if (active_[w]) {
          maxrunpri_ = w * 64 + 63 - __builtin_clzll(active_[w]);
          break;
        }
    }
  }
}

// ---- the classes ------------------------------------------------------------

void Dispatcher::ts_level(Kthread& t, int cpupri) {
  t.cpupri_ = static_cast<int16_t>(cpupri);
  t.pri_ = static_cast<int16_t>(cpupri);  // ts_globpri = level (TSGPUP0 = 0); no nice
}

void Dispatcher::tick(Kthread& t, double now) {
  if (t.cls_ == SchedClass::SYS) return;
  t.timeleft_s_ -= now - t.slice_from_;
  t.slice_from_ = now;
  if (t.timeleft_s_ > kQuantumEps) return;
  if (t.cls_ == SchedClass::TS) {  // ts_tick: expired
    ts_level(t, kTsDptbl[t.cpupri_].tqexp);
    t.dispwait_ = 0;
  }
  t.timeleft_s_ = quantum_s(t);
  t.backq_ = true;  // cpu_surrender: to the back of the queue when preempted
}

void Dispatcher::ts_catch_up(Kthread& t) {
  double now = SimEngine::now();
  if (now < static_cast<double>(t.pass_seen_ + 1)) return;  // the usual case: no pass since
  long pass = static_cast<long>(now);  // a pass each whole second
  long n = pass - t.pass_seen_;
  t.pass_seen_ = pass;
  using S = Kthread::State;
  // ts_update_list: TS_RUN and TS_SLEEP threads are raised to lwait; a
  // running (or new, stopped) one is marked for ts_trapret.
  bool promote = t.state_ == S::RunQueue || t.state_ == S::Sleeping || t.state_ == S::LockSleep;
  if (!promote) {
    t.dispwait_ = static_cast<int>(std::min<long>(t.dispwait_ + n, 1L << 30));
    if (t.dispwait_ > kTsDptbl[t.cpupri_].maxwait) t.trapret_ = true;
    return;
  }
  while (n > 0) {
    const TsDpEnt& e = kTsDptbl[t.cpupri_];
    if (e.lwait == t.cpupri_) {  // a fixed point: dispwait cycles 0..maxwait
      t.dispwait_ = static_cast<int>((t.dispwait_ + n) % (e.maxwait + 1));
      break;
    }
    --n;
    if (++t.dispwait_ > e.maxwait) {
      ts_level(t, e.lwait);
      t.dispwait_ = 0;
      if (t.state_ == S::RunQueue) t.timeleft_s_ = quantum_s(t);  // ts_change_priority
    }
  }
}

void Dispatcher::ts_slpret(Kthread& t) {
  if (t.dispwait_ <= kTsDptbl[t.cpupri_].maxwait) return;
  ts_level(t, kTsDptbl[t.cpupri_].slpret);
  t.timeleft_s_ = quantum_s(t);
  t.dispwait_ = 0;
}

bool Dispatcher::wakeup(Kthread& t) {
  if (trace_) trace_->woken(t);
  bool front = false;
  switch (t.cls_) {
    case SchedClass::TS:  // ts_wakeup / ts_setrun
      ts_catch_up(t);
      ts_slpret(t);
      t.trapret_ = false;
      front = t.disp_tick_ == tick_now();
      break;
    case SchedClass::RT:  // rt_wakeup / rt_setrun
      t.timeleft_s_ = quantum_s(t);
      break;
    case SchedClass::SYS: break;
  }
  t.backq_ = false;
  return front;
}

void Dispatcher::requeue_preempted(Kthread& t) {
  // ts_preempt / rt_preempt (TSBACKQ, RTBACKQ); sys_preempt is setfrontdq.
  bool back = t.backq_;
  if (back) {
    t.timeleft_s_ = quantum_s(t);
    if (t.cls_ == SchedClass::TS) t.dispwait_ = 0;
    t.backq_ = false;
  }
  enqueue(t, !back);
}

Co<void> Dispatcher::ts_update_loop() {
  while (nqueued_ > 0) {
    co_await SimEngine::wait_until(std::floor(SimEngine::now()) + 1);
    ts_update_queued();
  }
  update_armed_ = false;
}

void Dispatcher::ts_update_queued() {
  // A level that is its own lwait (59 in the default table) never moves a
  // thread: its threads' dispwait is caught up when they are dispatched
  // (grant), with the same result as a pass at a time. A full fork bomb's
  // million queued threads all sit there, and visiting each every second
  // was a quarter of bomb_1m's wall time.
  std::vector<Kthread*>& queued = update_scratch_;
  queued.clear();
  for (int p = 0; p <= kTsMaxUmdPri; ++p) {
    if (kTsDptbl[p].lwait == p) continue;
    for (Kthread* t = q_[p].first; t; t = t->next_)
      if (t->cls_ == SchedClass::TS) queued.push_back(t);
  }
  bool moved = false;
  for (Kthread* t : queued) {
    int before = t->pri_;
    ts_catch_up(*t);
    if (t->pri_ == before) continue;
    // ts_change_priority: off its old level, to the back of the new one.
    int now_pri = t->pri_;
    t->pri_ = static_cast<int16_t>(before);
    dequeue(*t);
    t->pri_ = static_cast<int16_t>(now_pri);
    link(*t, false);
    moved = true;
  }
  if (moved) cpu_resched(maxrunpri_);
}

// ---- CPUs ---------------------------------------------------------------------

void Dispatcher::grant(Kthread& t) {
  double now = SimEngine::now();
  if (t.state_ == Kthread::State::RunQueue)
    probes_.runq_wait_sum_s += window_overlap(probes_, t.since_, now);
  if (t.cls_ == SchedClass::TS) ts_catch_up(t);
  ++busy_;
  t.state_ = Kthread::State::OnCpu;
  t.since_ = now;
  t.slice_from_ = now;
  t.disp_tick_ = tick_now();
  t.cpu_slot_ = static_cast<int>(oncpu_.size());
  oncpu_.push_back(&t);
  if (t.user_) ++nuser_;
  if (probes_.in_window(now)) ++probes_.dispatches;
  if (trace_) trace_->on_cpu(t);
  // Added, not charge()d: grant() runs in the releasing thread's code, and
  // a step-by-step charge would wait there.
  t.pending_ns_ += switch_cost_ns_();
}

void Dispatcher::resume_granted(Kthread& t) {
  if (t.wait_left_s_ <= 0) {
    t.wake();
    return;
  }
  // Preempted in CPU work: what was left of it goes on, after the switch.
  double s = t.wait_left_s_ + t.pending_ns_ * 1e-9 / cpu_speed;
  t.wait_left_s_ = 0;
  t.pending_ns_ = 0;
  --blocked_;
  t.arm_cpu_wait(SimEngine::now() + s, std::exchange(t.blocked_, {}));
}

void Dispatcher::fill_cpus() {
  while (busy_ < ncpus_ && nqueued_ > 0) {
    Kthread* next = q_[maxrunpri_].first;
    dequeue(*next);
    grant(*next);
    resume_granted(*next);
  }
}

Soon Dispatcher::run(Kthread& t) {
  if (t.on_cpu()) throw std::logic_error("run() by a thread already on a CPU");
  bool front = wakeup(t);
  if (busy_ < ncpus_) {  // then nothing else is queued
    grant(t);
    return {};
  }
  enqueue(t, front);
  cpu_resched(t.pri_);
  return wait_block(t);  // at once if cpu_resched gave t a CPU
}

Co<void> Dispatcher::wait_block(Kthread& t) { co_await t.block(); }

void Dispatcher::make_runnable(Kthread& t) {
  bool front = wakeup(t);
  if (busy_ < ncpus_) {
    grant(t);
    t.wake();
    return;
  }
  enqueue(t, front);
  cpu_resched(t.pri_);
}

void Dispatcher::account_off_cpu(Kthread& t, double now) {
  probes_.cpu_busy_s += window_overlap(probes_, t.since_, now);
  busy_left_s_ += now - t.since_;
}

double Dispatcher::busy_s_so_far() const {
  double now = SimEngine::now(), s = busy_left_s_;
  for (const Kthread* t : oncpu_) s += now - t->since_;
  return s;
}

void Dispatcher::leave_cpu(Kthread& t, Kthread::State new_state) {
  double now = SimEngine::now();
  account_off_cpu(t, now);
  tick(t, now);
  if (t.cls_ == SchedClass::TS) ts_catch_up(t);
  Kthread* last = oncpu_.back();
  oncpu_[t.cpu_slot_] = last;
  last->cpu_slot_ = t.cpu_slot_;
  oncpu_.pop_back();
  t.cpu_slot_ = -1;
  if (t.user_) --nuser_;
  t.state_ = new_state;
  t.since_ = now;
  --busy_;
  if (trace_) trace_->off_cpu(t, new_state);
  // Spinners on t's locks now see an owner off CPU: they go to sleep, which
  // frees their CPUs too (and so on down any chain of held locks).
  if (!t.held_.empty()) {
    std::vector<KMutex*> held(t.held_.begin(), t.held_.end());  // wakes below let other threads run
    for (KMutex* m : held) m->owner_off_cpu(*this);
  }
}

void Dispatcher::release(Kthread& t, Kthread::State new_state) {
  if (!t.on_cpu()) throw std::logic_error("release() by a thread off CPU");
  if (t.pending_ns_ > 0) throw std::logic_error("release() with CPU work not flushed");
  leave_cpu(t, new_state);
  if (t.cls_ == SchedClass::TS && new_state != Kthread::State::Dead) ts_slpret(t);  // ts_sleep
  fill_cpus();
}

void Dispatcher::cpu_resched(int pri) {
  // Only user-mode work is preempted below kpreemptpri.
  if (pri < kKpreemptPri && nuser_ == 0) return;
  double now = SimEngine::now();
  Kthread* victim = nullptr;
  for (Kthread* c : oncpu_) {
    if (c->pri_ >= pri || !c->in_cpu_wait_ || !(c->cpu_wait_end_ > now)) continue;
    if (!c->user_ && pri < kKpreemptPri) continue;
    if (!victim || c->pri_ < victim->pri_) victim = c;
  }
  if (victim) preempt(*victim);
}

void Dispatcher::preempt(Kthread& v) {
  double now = SimEngine::now();
  v.wait_token_ = kCancelled;
  v.in_cpu_wait_ = false;
  preempt_before(v, v.cpu_wait_h_, v.cpu_wait_end_ - now);
}

void Dispatcher::preempt_before(Kthread& v, std::coroutine_handle<> h, double left_s) {
  v.wait_left_s_ = left_s;
  v.blocked_ = h;
  ++blocked_;
  leave_cpu(v, Kthread::State::RunQueue);
  requeue_preempted(v);
  fill_cpus();
  cpu_resched(v.pri_);
}

Co<void> Dispatcher::surrender(Kthread& t) {
  co_await t.flush();
  if (!must_surrender(t)) {
    t.backq_ = false;  // disp() picks t again: it keeps its CPU and its new quantum
    co_return;
  }
  leave_cpu(t, Kthread::State::RunQueue);
  requeue_preempted(t);
  fill_cpus();
  cpu_resched(t.pri_);
  co_await t.block();
}

Soon Dispatcher::trap_return(Kthread& t) {
  tick(t, SimEngine::now());
  if (t.cls_ == SchedClass::TS) {
    ts_catch_up(t);
    if (t.trapret_) {  // ts_trapret, asked for by ts_update
      t.trapret_ = false;
      ts_slpret(t);
    }
  }
  if (t.pending_ns_ > 0 || must_surrender(t)) return surrender(t);
  t.backq_ = false;
  return {};
}

Co<void> Dispatcher::forkret(Kthread& t) {
  if (t.cls_ != SchedClass::TS) co_return;  // rt_forkret, sys_forkret: no swtch
  co_await t.flush();
  if (ts_forkret(t)) co_await t.block();
}

bool Dispatcher::ts_forkret(Kthread& t) {
  // Lowered, a new quantum, dispwait reset; ts_setrun; swtch().
  double now = SimEngine::now();
  tick(t, now);
  ts_catch_up(t);
  ts_level(t, kTsDptbl[t.cpupri_].tqexp);
  t.timeleft_s_ = quantum_s(t);
  t.dispwait_ = 0;
  t.backq_ = false;
  bool front = t.disp_tick_ == tick_now();
  if (maxrunpri_ < t.pri_ || (front && maxrunpri_ == t.pri_)) return false;  // disp() picks t
  leave_cpu(t, Kthread::State::RunQueue);
  enqueue(t, front);
  fill_cpus();
  cpu_resched(t.pri_);  // the one global queue: t may still outrank user work elsewhere
  return true;
}

Co<void> Dispatcher::run_user(Kthread& t, double seconds) {
  // No AST is posted to a thread that is not stopped for it: a cut burst
  // goes on where it stopped.
  while (seconds > 0) seconds = co_await run_user_until_ast(t, seconds);
}

Co<double> Dispatcher::run_user_until_ast(Kthread& t, double seconds) {
  co_await trap_return(t);
  t.user_ = true;
  ++nuser_;
  double wall = seconds / cpu_speed;  // work is given at the reference speed
  while (wall > 0 && !t.ast_) {
    co_await t.flush();  // a dispatch's switch
    if (t.ast_) break;
    double slice = wall;
    if (t.cls_ != SchedClass::SYS)
      slice = std::min(wall, std::max(0.0, t.timeleft_s_ - (SimEngine::now() - t.slice_from_)));
    t.user_burst_ = true;
    co_await Kthread::CpuWait{&t, slice};  // preempted and resumed inside, or cut, if at all
    t.user_burst_ = false;
    wall -= slice - std::exchange(t.cut_left_s_, 0.0);
    if (wall <= 0 || t.ast_) break;
    // The clock tick at the quantum's end (ts_tick/rt_tick), and the AST it
    // delivers in user mode.
    co_await trap_return(t);
  }
  t.user_ = false;
  --nuser_;
  co_return wall > 0 ? wall * cpu_speed : 0.0;
}

void Dispatcher::poke(Kthread& t) {
  t.ast_ = true;
  if (!t.user_burst_) return;
  if (t.in_cpu_wait_) {  // on a CPU: the burst ends now
    t.wait_token_ = kCancelled;
    t.in_cpu_wait_ = false;
    t.cut_left_s_ = std::max(0.0, t.cpu_wait_end_ - SimEngine::now());
    SimEngine::get().resume_soon(t.cpu_wait_h_);
  } else if (t.wait_left_s_ > 0) {
    // Preempted in the burst: once dispatched it resumes at once (paying
    // the switch with its next CPU work) instead of finishing the burst.
    t.cut_left_s_ = t.wait_left_s_;
    t.wait_left_s_ = 0;
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
