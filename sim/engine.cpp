#include "sim/engine.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
#include <xbt/log.h>

#include "sim/coro.hpp"

namespace forksim {

namespace {
SimEngine* the_engine = nullptr;
}

double SimEngine::now_ = 0;

SimEngine::SimEngine() {
  if (the_engine) throw std::logic_error("one SimEngine per process");
  // The model uses no SimGrid network: the constant model is the cheapest
  // to keep, and SimGrid visits every model at every round (2.8% fewer
  // instructions on the closed loop, reports identical).
  std::vector<std::string> args = {"forksim", "--log=root.thres:critical",
                                   "--cfg=network/model:Constant"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  // SimGrid 3.32's EngineImpl::initialize sets a SIGINT handler of its own,
  // unconditionally, that calls exit() inside the running engine (a crash);
  // the process's handling (the CLI's: stop cleanly, keep the report) stays.
  struct sigaction old_int;
  sigaction(SIGINT, nullptr, &old_int);
  engine_ = std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());
  sigaction(SIGINT, &old_int, nullptr);
  xbt_log_control_set("root.thres:critical");
  // SimGrid wants a platform before it runs. The machine's CPUs are the
  // model's Dispatcher, not SimGrid hosts: CPU work is a timed wait behind
  // that gate, never an execute() (docs/performance.md: sharing a host among
  // thousands of execs is the cost that decides the design).
  auto* zone = simgrid::s4u::create_full_zone("machine");
  zone->create_host("cpu", 1e9);
  zone->seal();
  now_ = 0;
  the_engine = this;
}

SimEngine::~SimEngine() {
  if (armed_) armed_->remove();
  the_engine = nullptr;
}

SimEngine& SimEngine::get() {
  if (!the_engine) throw std::logic_error("no SimEngine");
  return *the_engine;
}

void SimEngine::arm(double t) {
  if (armed_) {
    if (armed_at_ <= t) return;
    armed_->remove();
  }
  armed_at_ = t;
  armed_ = simgrid::kernel::timer::Timer::set(t, [this, t] {
    armed_ = nullptr;
    dispatch(t);
  });
}

namespace {
[[noreturn]] void not_a_time(double t) {
  // Only an overflowed cost or duration gets here (the scenario's bounds
  // are meant to make that impossible); SimGrid would abort on it.
  throw std::domain_error("a wait until simulated time " + std::to_string(t) +
                          " s, which is not a finite time: a cost or a sampled "
                          "duration overflowed");
}
}  // namespace

void SimEngine::resume_at(double t, std::coroutine_handle<> h) {
  if (!std::isfinite(t)) not_a_time(t);
  if (t <= now_) {
    resume_soon(h);
    return;
  }
  heap_.push({t, seq_++, h, nullptr});
  if (!dispatching_) arm(t);
}

void SimEngine::resume_at(double t, std::coroutine_handle<> h, uint64_t* token) {
  if (!std::isfinite(t)) not_a_time(t);
  if (!(t > now_)) throw std::logic_error("a cancellable wait that is not in the future");
  *token = seq_;
  heap_.push({t, seq_++, h, token});
  if (!dispatching_) arm(t);
}

void SimEngine::resume_soon(std::coroutine_handle<> h) {
  ready_.push_back(h);
  if (!dispatching_) arm(now_);
}

bool SimEngine::skip_to(double t) noexcept {
  // A time that is not one goes the long way round, to resume_at's refusal;
  // a check due is made here (a stop then leaves this coroutine queued).
  if (!dispatching_ || !ready_.empty() || !(t <= horizon_)) return false;
  if (resumptions_ >= next_watch_ && !check()) return false;
  if (!heap_.empty() && !(t < heap_.top().t)) return false;  // a tie goes in request order
  now_ = t;
  ++resumptions_;  // still a wait the model made, resumed at its time
  return true;
}

void SimEngine::dispatch(double t) {
  if (error_ || stopped()) return;
  ++rounds_;
  // The timer's own date, not SimGrid's clock: adding the elapsed time to
  // the clock may round it off the date by an ulp.
  now_ = std::max(now_, t);
  while (!heap_.empty() && heap_.top().t <= now_) {
    const Entry& e = heap_.top();
    if (!e.token || *e.token == e.seq) ready_.push_back(e.h);  // else cancelled
    heap_.pop();
  }
  dispatching_ = true;
  while (!ready_.empty() && !error_) {
    if (resumptions_ >= next_watch_ && !check()) {
      dispatching_ = false;
      return;  // stopped: nothing more is resumed, no timer is armed
    }
    auto h = ready_.front();
    ready_.pop_front();
    ++resumptions_;
    coro_detail::resume(h);
  }
  dispatching_ = false;
  if (!error_ && !stopped() && !heap_.empty()) arm(heap_.top().t);
}

void SimEngine::watch(uint64_t every, uint64_t max_at_instant, std::function<std::string()> fn) {
  watch_every_ = std::max<uint64_t>(every, 1);
  next_watch_ = resumptions_ + watch_every_;
  max_at_instant_ = max_at_instant;
  watch_ = std::move(fn);
}

bool SimEngine::check() {
  next_watch_ = resumptions_ + watch_every_;
  if (now_ != instant_t_) {
    instant_t_ = now_;
    instant_events_ = resumptions_;
  } else if (resumptions_ - instant_events_ > max_at_instant_) {
    std::ostringstream why;
    why.precision(9);
    why << "no progress in simulated time: more than " << max_at_instant_ << " events at t = "
        << now_ << " s (a livelock: a loop whose every step takes no simulated time)";
    stop_reason_ = why.str();
    return false;
  }
  if (watch_) stop_reason_ = watch_();
  return stop_reason_.empty();
}

void SimEngine::fail(std::exception_ptr e) noexcept {
  if (!error_) error_ = e;
}

void SimEngine::rethrow() {
  if (error_) std::rethrow_exception(error_);
}

void SimEngine::run_until(double t) {
  if (stopped()) return;
  // SimGrid's run_until returns once its clock is within 1e-5 s of t.
  horizon_ = t - 1e-5;
  engine_->run_until(t);
  rethrow();
  // The clock reached t (SimGrid stops within 1e-5 s of it) with nothing
  // due before: code between slices sees the slice's end.
  if (!stopped()) now_ = std::max(now_, simgrid::s4u::Engine::get_clock());
}

void SimEngine::run() {
  if (stopped()) return;
  horizon_ = std::numeric_limits<double>::infinity();
  engine_->run();
  rethrow();
}

double tick_after(double now, int hz, long ticks) {
  double t = now * hz;
  double cur = std::floor(t);
  // A time that is a tick up to rounding counts as that tick.
  if (t - cur > 1 - 1e-9) cur += 1;
  return (cur + static_cast<double>(ticks)) / hz;
}

}  // namespace forksim
