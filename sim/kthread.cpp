#include "sim/kthread.hpp"

#include <stdexcept>

#include "sim/dispatcher.hpp"
#include "sim/engine.hpp"

namespace forksim {

Kthread::Kthread(Dispatcher& disp, int id)
    : disp_(&disp), id_(id), sem_(simgrid::s4u::Semaphore::create(0)),
      timer_(simgrid::s4u::Semaphore::create(0)) {}

void Kthread::wait_until(double t) {
  double d = t - SimEngine::now();
  if (d > 0) wait_for(d);
}

void Kthread::charge(double ns) {
  pending_ns_ += ns;
  if (disp_->step_by_step) flush();
}

void Kthread::flush() {
  if (pending_ns_ <= 0) return;
  if (!on_cpu()) throw std::logic_error("CPU work charged to a thread off CPU");
  double s = pending_ns_ * 1e-9 / disp_->cpu_speed;
  pending_ns_ = 0;
  ++disp_->probes().engine_events;
  wait_for(s);
}

void Kthread::block() {
  ++disp_->blocked_;
  ++disp_->probes().engine_events;
  sem_->acquire();
  --disp_->blocked_;
}

void Kthread::wake() { sem_->release(); }

void Kthread::sleep_until(double t) {
  flush();
  disp_->release(*this, State::Sleeping);
  ++disp_->probes().engine_events;
  wait_until(t);
  disp_->run(*this, Prio::Kernel);
}

}  // namespace forksim
