#include "scenarios/workload.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/kernel.hpp"

namespace forksim {
namespace {

// What a process runs; its children inherit it (Proc::role).
enum Role : uint8_t { kShell = 0, kBomb = 1, kAdmin = 2 };

class Run {
 public:
  Run(const Scenario& s, const RunOptions& opt)
      : s_(s), opt_(opt), w_(s.workload), rng_(s.seed),
        k_(s, probes_, rng_), path_(path_from_name(w_.path)) {
    probes_.window_start_s = s.warmup_s;
    probes_.window_end_s = s.duration_s;
    probes_.paths[w_.path];  // the workload's path is reported even if never tried
    k_.on_child = [this](Proc& c) { start_child(c); };
    k_.dispatcher().step_by_step = opt.step_by_step;
  }

  Probes run() {
    eng_.watch(opt_.monitor_every, max_events_at_instant(), [this] { return ask_monitor(); });
    start_workload();
    if (!stop_why_.empty()) return incomplete(stop_why_);
    spawn(sampler());
    phase_ = "run";
    // Slices of simulated time, so that a monitor hears of a run whose
    // events are sparse too.
    double slice = std::max(s_.duration_s / 1000, 1e-3);
    for (double t = slice; t < s_.duration_s + slice; t += slice) {
      eng_.run_until(std::min(t, s_.duration_s));
      if (eng_.stopped()) return incomplete(eng_.stop_reason());
      if (std::string why = ask_monitor(); !why.empty()) return incomplete(why);
    }
    stop();
    // The drain: every workload process exits; run() returns when nothing
    // is left to resume, or when what is left waits for good (the
    // invariants then say so). Watched like the run: a child with an hour
    // of CPU work left drains for an hour of simulated time.
    phase_ = "drain";
    eng_.run();
    if (eng_.stopped()) return incomplete(eng_.stop_reason());
    count_engine();
    // The run covered its whole duration; the drain after it measures
    // nothing and is not counted as run time.
    probes_.sim_time_s = s_.duration_s;
    check_invariants();
    return probes_;
  }

 private:
  // ---- the workloads -------------------------------------------------
  void start_workload() {
    const auto& par = w_.parent;
    bool rt = par.sched_class == "RT";
    if (w_.type == "fork_bomb") {
      probes_.retry_enabled = true;
      probes_.born_by_generation = {static_cast<uint64_t>(w_.initial)};
      for (int i = 0; i < w_.initial && setup_tick(); ++i) {
        Proc* p = initial_proc(par.uid, par.privileged, kBomb, rt);
        generation_[p] = 0;
        spawn(bomb(p, false));
      }
      if (w_.admin_probe.enabled) {
        probes_.admin_probe_enabled = true;
        spawn(admin(initial_proc(w_.admin_probe.uid, true, kAdmin, false)));
      }
      return;
    }
    for (int i = 0; i < w_.parents && setup_tick(); ++i) {
      Proc* p = initial_proc(par.uid, par.privileged, kShell, rt);
      if (w_.type == "closed") {
        // Each forking LWP loops on its own; the last one out exits.
        live_threads_[p] = par.forking_lwps;
        spawn(closed_parent(p, *p->thread));
        for (int l = 1; l < par.forking_lwps && setup_tick(); ++l)
          spawn(closed_parent(p, k_.make_lwp_thread(*p)));
      } else {
        live_threads_[p] = 1;
        spawn(open_parent(p));
      }
    }
    if (w_.type == "open") {
      probes_.requests_enabled = true;
      spawn(arrivals());
    }
  }

  Proc* initial_proc(int uid, bool privileged, Role role, bool rt) {
    const auto& par = w_.parent;
    double mb = role == kAdmin ? 0 : par.writable_mb;
    Proc* p = k_.create_initial_proc(uid, privileged, mb, role == kAdmin ? 1 : par.lwps,
                                     par.open_files, rt);
    if (!p) {
      const char* key = w_.type == "fork_bomb" ? "workload.initial" : "workload.parents";
      if (k_.table().slots_used() >= k_.table().v_proc())
        throw ScenarioError(key, "with machine.system_procs the workload's processes do not fit "
                                 "in tunables.max_nprocs (" + std::to_string(k_.table().v_proc()) + ")");
      // %g, not a cast to an integer: the capacity may be beyond any integer's range.
      char reservable[32];
      std::snprintf(reservable, sizeof reservable, "%.10g", k_.swap().capacity_mb(privileged));
      throw ScenarioError("workload.parent.writable_mb",
                          "the workload's processes' memory does not fit in swap and RAM (" +
                              std::string(reservable) + " MB reservable)");
    }
    p->role = role;
    return p;
  }

  // A new child's code: a coroutine, started when the parent makes the
  // child runnable; it first waits for its CPU (child_first_run).
  void start_child(Proc& c) {
    switch (c.role) {
      case kBomb:
        note_born(c);
        spawn(bomb(&c, true));
        break;
      case kAdmin: spawn(short_child(&c)); break;
      default: spawn(shell_child(&c)); break;
    }
  }

  // A bomb child's generation is its parent's plus one (the initial
  // processes are generation 0); the first kGenerations are counted.
  void note_born(Proc& c) {
    auto it = c.parent ? generation_.find(c.parent) : generation_.end();
    int g = it == generation_.end() ? 1 : it->second + 1;
    generation_[&c] = g;
    if (g < kGenerations && SimEngine::now() <= s_.duration_s) {
      auto& born = probes_.born_by_generation;
      if (born.size() <= static_cast<size_t>(g)) born.resize(g + 1);
      ++born[g];
    }
  }
  static constexpr int kGenerations = 32;

  // Closed: think, fork, wait for the child; again.
  Co<void> closed_parent(Proc* p, Kthread& t) {
    while (!stopping_) {
      co_await user_sleep(t, w_.think_s.sample(rng_));
      if (stopping_) break;
      co_await fork_and_wait(p, t);
    }
    co_await finish(p, t);
  }

  // Open: Poisson arrivals; each is served by an idle process of the pool.
  Co<void> arrivals() {
    for (;;) {
      co_await SimEngine::wait_for(rng_.exponential(1.0 / w_.rate_per_s));
      double now = SimEngine::now();
      if (stopping_ || now >= s_.duration_s) break;
      pending_.push_back(now);
      RequestStats& q = probes_.requests;
      if (now < probes_.window_start_s)
        ++arrived_before_window_;
      else if (probes_.in_window(now))
        ++q.offered;
      q.waiting_max = std::max<uint64_t>(q.waiting_max, pending_.size());
      if (!idle_.empty()) {
        Kthread* t = idle_.front();
        idle_.pop_front();
        k_.dispatcher().make_runnable(*t);  // woken from its wait for work
      }
    }
  }

  Co<void> open_parent(Proc* p) {
    Kthread& t = *p->thread;
    co_await k_.dispatcher().run(t);
    for (;;) {
      while (pending_.empty() && !stopping_) co_await park(t);
      if (stopping_) break;
      double arrived = pending_.front();
      pending_.pop_front();
      note_taken(arrived);
      co_await fork_and_wait(p, t, arrived);
    }
    co_await finish(p, t);
  }

  // An open workload's request, which arrived at `arrived`, is served when
  // the fork returns, whatever its outcome; the wait for the child is the
  // process's business, not the request's.
  Co<void> fork_and_wait(Proc* p, Kthread& t, std::optional<double> arrived = std::nullopt) {
    if (!t.on_cpu()) co_await k_.dispatcher().run(t);
    ForkResult r = co_await timed_fork(*p, t, probes_.paths[w_.path], path_);
    double now = SimEngine::now();
    if (arrived && probes_.in_window(now)) probes_.requests.latency.record(now - *arrived);
    if (r.child) co_await k_.wait_child(*p, t);
  }

  // A process takes the request that arrived at `arrived`, now.
  void note_taken(double arrived) {
    double now = SimEngine::now();
    RequestStats& q = probes_.requests;
    if (now < probes_.window_start_s) {
      ++taken_before_window_;
    } else if (probes_.in_window(now)) {
      q.wait.record(now - arrived);
      if (now > arrived) ++q.waited;
    }
  }

  // Where the request queue stands when the window closes at `end`: the
  // requests still queued are censored observations of latency (they took
  // at least their age), counted rather than dropped.
  void close_request_window(double end) {
    if (!probes_.requests_enabled) return;
    RequestStats& q = probes_.requests;
    q.queue_start = arrived_before_window_ - taken_before_window_;
    q.unserved_at_end = pending_.size();
    q.unserved_age_sum_s = 0;
    for (double a : pending_) q.unserved_age_sum_s += end - a;
    q.unserved_age_max_s = pending_.empty() ? 0 : end - pending_.front();  // FIFO: oldest first
  }

  // A fork bomb process: makes its fan_out children (or forks for ever),
  // each by the retry policy; then exits (exit_after_fork) or waits for the
  // run's end. One that gave up exits: bash's error ends the subshell.
  Co<void> bomb(Proc* p, bool is_child) {
    Kthread& t = *p->thread;
    if (is_child)
      co_await child_first_run(*p);
    else
      co_await k_.dispatcher().run(t);
    bool gave_up = false;
    for (int made = 0; !stopping_ && (w_.fan_out == 0 || made < w_.fan_out); ++made)
      if (!co_await make_child(*p, t, gave_up)) break;
    if (!gave_up && !w_.exit_after_fork) {
      // Done forking, asleep (off CPU) until stop() wakes it to exit.
      while (!stopping_) co_await park(t);
    }
    generation_.erase(p);
    co_await finish(p, t);
  }

  // One child, retried by the policy on failure. False when there is none:
  // the run stopped, or the process gave up (bash, `gave_up` set).
  Co<bool> make_child(Proc& p, Kthread& t, bool& gave_up) {
    const RetryPolicy& rp = w_.retry;
    bool bash = rp.kind == RetryPolicy::Kind::Bash;
    // bash's forksleep starts at 1 s and doubles while below FORKSLEEP_MAX.
    double delay = bash ? 1 : rp.delay_s;
    uint64_t sleeps = 0;
    double slept = 0;
    for (;;) {
      ForkResult r = co_await timed_fork(p, t, probes_.paths[w_.path], path_);
      if (r.err == Err::Ok) co_return true;
      if (bash && (r.err != Err::EAGAIN_ || delay >= kBashForksleepMax)) {
        gave_up = true;
        note_give_up(sleeps, slept);
        co_return false;
      }
      double d = 0;
      switch (rp.kind) {
        case RetryPolicy::Kind::Immediate: break;
        case RetryPolicy::Kind::Fixed: d = jittered(rp.delay_s); break;
        case RetryPolicy::Kind::Exponential:
          d = jittered(delay);
          delay = std::min(2 * delay, rp.max_delay_s);
          break;
        case RetryPolicy::Kind::Bash:
          d = jittered(delay);
          delay *= 2;
          break;
      }
      if (rp.kind != RetryPolicy::Kind::Immediate) {
        co_await user_sleep(t, d);
        ++sleeps;
        slept += d;
        if (probes_.in_window(SimEngine::now())) {
          ++probes_.retry.sleeps;
          probes_.retry.sleep_total_s += d;
        }
      }
      if (stopping_) co_return false;
    }
  }

  // bash's jobs.h FORKSLEEP_MAX: make_child sleeps 1, 2, 4, 8 s between
  // its five attempts and gives up on the fifth failure.
  static constexpr double kBashForksleepMax = 16;

  // A retry delay times a uniform factor in [1-jitter, 1+jitter]; no draw
  // without jitter, so that such runs keep their random sequence.
  double jittered(double d) {
    double j = w_.retry.jitter;
    return j > 0 ? d * (1 + j * (2 * rng_.uniform01() - 1)) : d;
  }

  // A process gave up now, after `sleeps` policy sleeps totalling `slept` s.
  void note_give_up(uint64_t sleeps, double slept) {
    if (!probes_.in_window(SimEngine::now())) return;
    RetryStats& st = probes_.retry;
    ++st.gave_up;
    st.gave_up_sleeps += sleeps;
    st.gave_up_sleep_s.record(slept);
  }


  // The privileged probe: can root still fork during the storm?
  Co<void> admin(Proc* p) {
    Kthread& t = *p->thread;
    while (!stopping_) {
      co_await user_sleep(t, w_.admin_probe.interval_s);
      if (stopping_) break;
      if (!t.on_cpu()) co_await k_.dispatcher().run(t);
      ForkResult r = co_await timed_fork(*p, t, probes_.admin_probe, ForkPath::Fork1);
      if (r.child) co_await k_.wait_child(*p, t);
    }
    co_await finish(p, t);
  }

  Co<void> shell_child(Proc* c) {
    Kthread& t = *c->thread;
    co_await child_first_run(*c);
    if (w_.child.exec && co_await k_.exec(*c, w_.child.exec_writable_mb) != Err::Ok) {
      co_await k_.exit_proc(*c, t);
      co_return;
    }
    double cpu = w_.child.cpu_s.sample(rng_);
    if (cpu > 0) co_await k_.dispatcher().run_user(t, cpu);
    co_await user_sleep(t, w_.child.lifetime_s.sample(rng_));
    co_await k_.exit_proc(*c, t);
  }

  Co<void> short_child(Proc* c) {
    co_await child_first_run(*c);
    co_await k_.exit_proc(*c, *c->thread);
  }

  // ---- helpers -----------------------------------------------------------
  // Off CPU in idle_ until arrivals() or stop() makes t runnable.
  Co<void> park(Kthread& t) {
    co_await t.flush();
    idle_.push_back(&t);
    k_.dispatcher().release(t);
    co_await t.block();
  }

  Co<void> child_first_run(Proc& c) {
    co_await c.thread->block();  // made runnable by the parent's fork; now on a CPU
    co_await k_.charge(*c.thread, Step::child_start);
  }

  // Off CPU in user mode (thinking, sleeping, I/O), then back on a CPU.
  Co<void> user_sleep(Kthread& t, double seconds) {
    if (seconds <= 0) {
      if (!t.on_cpu()) co_await k_.dispatcher().run(t);
      co_return;
    }
    if (t.on_cpu()) {
      co_await t.flush();
      k_.dispatcher().release(t);
    }
    co_await SimEngine::wait_for(seconds);
    co_await k_.dispatcher().run(t);  // ts_wakeup, as for any other sleep
  }

  // A call counts where it returns: calls still in getproc's backoff when
  // the window closes return after it and are not counted, as the time
  // series does not count them.
  Co<ForkResult> timed_fork(Proc& p, Kthread& t, PathStats& st, ForkPath path) {
    double t0 = SimEngine::now();
    ForkResult r = co_await k_.cfork(p, t, path, 0);
    double t1 = SimEngine::now();
    if (r.err != Err::Ok) ++failures_since_sample_;
    if (!probes_.in_window(t1)) co_return r;
    ++st.attempts;
    if (r.err == Err::Ok) {
      ++st.successes;
      st.latency.record(t1 - t0);
    } else {
      const char* e = err_name(r.err);
      ++st.failures[e];
      st.failure_latency[e].record(t1 - t0);
      ++probes_.backoff.by_reason[reason_name(r.reason)];
    }
    co_return r;
  }
  // A workload process's thread is done; the last one exits the process,
  // which its parent outside the model reaps.
  Co<void> finish(Proc* p, Kthread& t) {
    auto it = live_threads_.find(p);
    if (it != live_threads_.end() && --it->second > 0) {
      co_await k_.dispatcher().exit_thread(t);  // lwp_exit: the process lives on
      co_return;
    }
    if (it != live_threads_.end()) live_threads_.erase(it);
    if (!t.on_cpu()) co_await k_.dispatcher().run(t);
    co_await k_.exit_proc(*p, t);
  }

  Co<void> sampler() {
    double period = s_.timeseries_s;
    for (long i = 0;; ++i) {
      double t = i * period;
      if (t > s_.duration_s + 1e-12) break;
      if (t > SimEngine::now()) co_await SimEngine::wait_until(t);
      TimeSample x;
      x.t_s = t;
      x.nproc = k_.table().nproc();
      x.failures_per_s = i == 0 ? 0 : failures_since_sample_ / period;
      x.fork_fail_pending = k_.fork_fail_pending();
      x.runnable = k_.dispatcher().busy() + static_cast<int>(k_.dispatcher().queued());
      failures_since_sample_ = 0;
      probes_.timeseries.push_back(x);
    }
  }

  void stop() {
    stopping_ = true;
    probes_.nproc_end = k_.table().nproc();
    close_request_window(probes_.window_end_s);
    // Idle pool processes wake up to exit.
    while (!idle_.empty()) {
      Kthread* t = idle_.front();
      idle_.pop_front();
      k_.dispatcher().make_runnable(*t);
    }
    pending_.clear();
  }

  void check_invariants() {
    auto& inv = probes_.invariants;
    inv.drained = k_.live_procs() == 0;
    inv.nproc_after_drain = k_.table().nproc();
    inv.pids_after_drain = k_.table().slots_used();
    for (const auto& [uid, n] : k_.table().upcounts()) inv.upcount_after_drain[uid] = n;
    inv.reserved_mb_after_drain = k_.swap().reserved_mb();
    inv.locks_held_after_drain = k_.locks_held();
    inv.threads_blocked_after_drain = k_.dispatcher().threads_blocked();
    inv.nproc_limit_violations = k_.table().nproc_max() > k_.table().v_proc() ? 1 : 0;
    probes_.nproc_max = k_.table().nproc_max();
  }

  void count_engine() {
    probes_.engine_events = eng_.resumptions();
    probes_.engine_rounds = eng_.rounds();
  }

  uint64_t max_events_at_instant() const {
    if (opt_.max_events_at_instant) return opt_.max_events_at_instant;
    uint64_t threads = static_cast<uint64_t>(s_.tunables.max_nprocs) +
                       static_cast<uint64_t>(w_.parents) * w_.parent.forking_lwps;
    return 2'000'000 + 200 * threads;
  }

  // The monitor's answer: the reason to stop, or "".
  std::string ask_monitor() {
    if (!opt_.monitor) return "";
    RunStatus st;
    st.sim_time_s = SimEngine::now();
    st.duration_s = s_.duration_s;
    st.events = eng_.resumptions();
    st.nproc = k_.table().nproc();
    st.phase = phase_;
    return opt_.monitor(st);
  }

  // Set-up makes every starting process and thread before the first event:
  // a scenario of millions of them is watched while it is made.
  bool setup_tick() {
    if (++setup_made_ % 1024 == 0 && stop_why_.empty()) stop_why_ = ask_monitor();
    return stop_why_.empty();
  }

  // The run stops here: the window ends at the time reached (a stop in the
  // drain leaves the window whole), and nothing the drain would have
  // checked is claimed.
  Probes incomplete(const std::string& why) {
    count_engine();
    double now = SimEngine::now();
    probes_.complete = false;
    probes_.incomplete_reason = why;
    probes_.incomplete_phase = phase_;
    probes_.sim_time_s = now;
    probes_.window_end_s =
        std::max(probes_.window_start_s, std::min(now, probes_.window_end_s));
    if (std::string(phase_) != "drain") probes_.nproc_end = k_.table().nproc();
    probes_.nproc_max = k_.table().nproc_max();
    // The drain began after stop() closed the request window.
    if (std::string(phase_) != "drain") close_request_window(probes_.window_end_s);
    return probes_;
  }

  const Scenario& s_;
  const RunOptions opt_;
  const Workload& w_;
  SimEngine eng_;  // first: the kernel's threads are the engine's coroutines
  Probes probes_;
  Rng rng_;
  Kernel k_;
  ForkPath path_;
  bool stopping_ = false;
  const char* phase_ = "set-up";
  std::string stop_why_;           // set-up stopped by the monitor
  uint64_t setup_made_ = 0;
  std::deque<double> pending_;     // open: arrival times waiting for a process
  // open: pool processes waiting for work; fork_bomb: processes done
  // forking, waiting for the run's end.
  std::deque<Kthread*> idle_;
  // open: the queue's length when the window opens is arrived - taken.
  uint64_t arrived_before_window_ = 0, taken_before_window_ = 0;
  std::unordered_map<Proc*, int> live_threads_;  // closed/open parents' running LWPs
  std::unordered_map<Proc*, int> generation_;    // fork_bomb: live processes' generations
  uint64_t failures_since_sample_ = 0;
};

}  // namespace

Probes run_scenario(const Scenario& s, const RunOptions& opt) {
  // A run stopped early leaves coroutines suspended for good: their frames
  // are left (they hold nothing but memory), the rest is torn down.
  Run r(s, opt);
  return r.run();
}

}  // namespace forksim
