#include "sim/kthread.hpp"

#include <stdexcept>

#include "sim/dispatcher.hpp"

namespace forksim {

Kthread::Kthread(Dispatcher& disp, int id) : disp_(&disp), id_(id) {}

bool Kthread::Flush::await_ready() const {
  if (t->pending_ns_ <= 0) return true;
  if (!t->on_cpu()) throw std::logic_error("CPU work charged to a thread off CPU");
  if (!SimEngine::get().skip_to(SimEngine::now() + t->pending_ns_ * 1e-9 / t->disp_->cpu_speed))
    return false;
  t->pending_ns_ = 0;
  return true;
}

void Kthread::Flush::await_suspend(std::coroutine_handle<> h) const {
  double s = t->pending_ns_ * 1e-9 / t->disp_->cpu_speed;
  t->pending_ns_ = 0;
  SimEngine::get().resume_at(SimEngine::now() + s, h);
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
  disp_->release(*this, State::Sleeping);
  co_await SimEngine::wait_until(t);
  co_await disp_->run(*this, Prio::Kernel);
}

}  // namespace forksim
