#include "sim/kthread.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/dispatcher.hpp"
#include "sim/trace.hpp"

namespace forksim {

Kthread::Kthread(Dispatcher& disp, int id) : disp_(&disp), id_(id) {}

double Kthread::clock() const { return SimEngine::now() + pending_ns_ * 1e-9 / disp_->cpu_speed; }

bool Kthread::Flush::await_ready() const {
  if (t->pending_ns_ <= 0) return true;
  if (!t->on_cpu()) throw std::logic_error("CPU work charged to a thread off CPU");
  if (t->disp_->kpreempt_pending(*t) ||
      !SimEngine::get().skip_to(SimEngine::now() + t->pending_ns_ * 1e-9 / t->disp_->cpu_speed))
    return false;
  t->pending_ns_ = 0;
  return true;
}

void Kthread::Flush::await_suspend(std::coroutine_handle<> h) const {
  double s = t->pending_ns_ * 1e-9 / t->disp_->cpu_speed;
  t->pending_ns_ = 0;
  // kprunrun: a thread at kpreemptpri or above waits, so the work is done
  // after it (kpreempt() at the next preemption point).
  if (t->disp_->kpreempt_pending(*t))
    t->disp_->preempt_before(*t, h, s);
  else
    t->arm_cpu_wait(SimEngine::now() + s, h);
}

bool Kthread::CpuWait::await_ready() const {
  return s <= 0 || SimEngine::get().skip_to(SimEngine::now() + s);
}

void Kthread::CpuWait::await_suspend(std::coroutine_handle<> h) const {
  t->arm_cpu_wait(SimEngine::now() + s, h);
}

void Kthread::arm_cpu_wait(double end, std::coroutine_handle<> h) {
  if (!(end > SimEngine::now())) {  // rounded to nothing: not worth cancelling
    SimEngine::get().resume_soon(h);
    return;
  }
  in_cpu_wait_ = true;
  cpu_wait_end_ = end;
  cpu_wait_h_ = h;
  SimEngine::get().resume_at(end, h, &wait_token_);
}

bool Kthread::Charge::await_ready() const {
  return !t->disp_->step_by_step || Flush{t}.await_ready();
}

bool Kthread::Block::await_ready() const noexcept {
  if (t->wakeups_ == 0) return false;
  --t->wakeups_;
  return true;
}

void Kthread::Block::await_suspend(std::coroutine_handle<> h) noexcept {
  t->blocked_ = h;
  ++t->disp_->blocked_;
}

void Kthread::wake() {
  if (!blocked_) {
    ++wakeups_;
    return;
  }
  --disp_->blocked_;
  SimEngine::get().resume_soon(std::exchange(blocked_, {}));
}

void Kthread::wake_at(double at) {
  if (!blocked_) throw std::logic_error("wake_at() of a thread not in block()");
  --disp_->blocked_;
  SimEngine::get().resume_at(at, std::exchange(blocked_, {}));
}

Co<void> Kthread::sleep_until(double t) {
  co_await flush();
  if (Trace* tr = disp_->trace()) tr->sleep_reason(*this, "delay");
  disp_->release(*this, State::Sleeping);
  co_await SimEngine::wait_until(t);
  co_await disp_->run(*this);
}

void Kthread::set_class(SchedClass c, int pri) {
  cls_ = c;
  cpupri_ = static_cast<int16_t>(pri);
  switch (c) {
    case SchedClass::SYS: pri_ = static_cast<int16_t>(pri); break;
    case SchedClass::TS: pri_ = static_cast<int16_t>(pri); break;  // ts_globpri = level
    case SchedClass::RT: pri_ = static_cast<int16_t>(kRtGlobPri0 + pri); break;
  }
  timeleft_s_ = disp_->quantum_s(*this);
  dispwait_ = 0;
  pass_seen_ = static_cast<long>(std::floor(SimEngine::now()));
  backq_ = trapret_ = false;
}

void Kthread::inherit_class(const Kthread& parent) {
  // ts_fork: cpupri, a quantum of the parent's level, dispwait 0; rt_fork:
  // the parent's priority and quantum.
  set_class(parent.cls_, parent.cpupri_);
  if (cls_ == SchedClass::SYS) pri_ = parent.pri_;
  disp_tick_ = -1;  // never dispatched
}

}  // namespace forksim
