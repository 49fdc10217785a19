// The event engine: SimGrid's clock and timer queue, driving the model's
// coroutines (sim/coro.hpp). One engine per process (a SimGrid limit,
// docs/performance.md), so a run is one process; sweeps and replications
// run many processes.
//
// Every wait in the model is a coroutine resumed at a time: resume_at(t)
// queues it, in (time, order of request) order, so that runs are
// deterministic and equal times keep first come, first served. SimGrid
// holds one kernel timer, for the earliest queued time; when it fires, the
// clock has advanced there and every coroutine due is resumed in order,
// together with the ones they wake (resume_soon) at the same instant.
// So SimGrid pays one round per distinct event time, with no actor, no
// simcall and no context switch (docs/performance.md: ~0.3 us per round
// instead of ~1.3 us per actor wait).
//
// A wait that would end before anything else is due (nothing ready now,
// every queued time later) does not go round SimGrid at all: the waiting
// coroutine would be the next one resumed anyway, so it goes on at once at
// its new time, and SimGrid's clock catches up at the next round. That is
// the argument that merges CPU steps into one flush (Kthread), applied to
// the whole machine: nothing can run, so nothing can observe, in between.
// Same order, same answer; about a sixth fewer rounds in a busy closed loop.
#pragma once
#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

namespace simgrid::s4u {
class Engine;
}
namespace simgrid::kernel::timer {
class Timer;
}

namespace forksim {

class SimEngine {
 public:
  SimEngine();
  ~SimEngine();
  SimEngine(const SimEngine&) = delete;
  SimEngine& operator=(const SimEngine&) = delete;

  // The engine of this process (there is one at most).
  static SimEngine& get();
  // Simulated time in seconds: the time of the events being run.
  static double now() { return now_; }

  // h resumes at time t, after everything queued for an earlier or the
  // same time; a time not in the future means now, after the running
  // coroutine waits.
  void resume_at(double t, std::coroutine_handle<> h);
  // The same, cancellable: *token is set to the wait's number, and the wait
  // is dropped unresumed if *token holds another value when it falls due
  // (a preempted CPU burst; the dispatcher re-arms what is left of it).
  // t must be in the future.
  void resume_at(double t, std::coroutine_handle<> h, uint64_t* token);
  // h resumes at the current time, once the running coroutine waits.
  void resume_soon(std::coroutine_handle<> h);

  // Awaitable: the running coroutine waits until time t; a time not in
  // the future does not wait at all.
  struct Wait {
    double t;
    bool await_ready() const noexcept { return t <= now_ || get().skip_to(t); }
    void await_suspend(std::coroutine_handle<> h) { SimEngine::get().resume_at(t, h); }
    void await_resume() const noexcept {}
  };
  static Wait wait_until(double t) { return {t}; }
  static Wait wait_for(double seconds) { return {now_ + seconds}; }

  // Runs the simulation up to time t (SimGrid's run_until), or until
  // nothing is queued. An exception that escaped a coroutine stops the
  // run and is rethrown here.
  void run_until(double t);
  void run();

  bool idle() const { return ready_.empty() && heap_.empty(); }
  // Coroutines resumed so far: the model's waits (each lock, CPU, sleep or
  // child the model waited for), the engine's unit of work.
  uint64_t resumptions() const { return resumptions_; }
  // SimGrid timer rounds: distinct event times.
  uint64_t rounds() const { return rounds_; }

  void fail(std::exception_ptr e) noexcept;

  // Budgets are checked inside the run, not only between slices: `fn` is
  // called once every `every` resumptions (inside a run of events at one
  // instant, and in run() as in run_until()); a non-empty answer stops the
  // run there with that reason. The engine also stops on its own when more
  // than `max_at_instant` resumptions happen at one simulated instant: the
  // clock makes no progress (a livelock, such as a loop whose every step
  // costs nothing). Once stopped, run_until() and run() return at once,
  // leaving whatever is queued.
  void watch(uint64_t every, uint64_t max_at_instant, std::function<std::string()> fn);
  bool stopped() const { return !stop_reason_.empty(); }
  const std::string& stop_reason() const { return stop_reason_; }

  // When the running coroutine's wait until t would make it the next one
  // resumed (see above): advances the clock to t and says true, and the
  // coroutine goes on without waiting. Otherwise false.
  bool skip_to(double t) noexcept;

 private:
  struct Entry {
    double t;
    uint64_t seq;
    std::coroutine_handle<> h;
    const uint64_t* token;  // nullptr: not cancellable
    bool operator>(const Entry& o) const { return t > o.t || (t == o.t && seq > o.seq); }
  };
  void arm(double t);
  void dispatch(double t);
  void rethrow();
  // Calls the watch and checks the clock's progress; false: stop.
  bool check();

  static double now_;
  std::unique_ptr<simgrid::s4u::Engine> engine_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::deque<std::coroutine_handle<>> ready_;
  uint64_t seq_ = 0, resumptions_ = 0, rounds_ = 0;
  simgrid::kernel::timer::Timer* armed_ = nullptr;
  double armed_at_ = 0;
  bool dispatching_ = false;
  // No skipping past this: the end of the current run_until, less SimGrid's
  // tolerance for reaching it, so that every event a slice would leave to
  // the next one is still left to it.
  double horizon_ = 0;
  std::exception_ptr error_;
  // watch(): the next resumption count to check at, and what to check.
  uint64_t watch_every_ = UINT64_MAX, next_watch_ = UINT64_MAX, max_at_instant_ = UINT64_MAX;
  std::function<std::string()> watch_;
  double instant_t_ = -1;          // the instant the last check saw
  uint64_t instant_events_ = 0;    // resumptions counted when it first saw it
  std::string stop_reason_;
};

// The time of the clock tick `ticks` ticks after the current one, as the
// kernel's delay(ticks) wakes: delay(1) just before a tick is short, which is
// the real kernel's behaviour too.
double tick_after(double now, int hz, long ticks);

}  // namespace forksim
