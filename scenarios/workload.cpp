#include "scenarios/workload.hpp"

#include <algorithm>
#include <cmath>
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

// What a process runs; its children inherit it (Proc::role), and the
// group it belongs to (Proc::group). A child program at level L of a tree
// (child.forks) is kProgram + L, so that its own children, which inherit
// that, know they are at level L + 1; a workload parent's children
// (inheriting kShell) are at level 1.
enum Role : uint8_t {
  kShell = 0, kBomb = 1, kAdmin = 2, kService = 3, kVictim = 4, kProgram = 8
};
static_assert(kProgram + kMaxChildDepth < 256);

// A workload group's own random streams (sim/streams.hpp): its draws are
// the same whatever the machine, the costs or another group does.
struct GroupStreams {
  GroupStreams(uint64_t seed, uint64_t group, int child_levels)
      : arrivals(stream_rng(seed, Stream::Arrivals, group)),
        think(stream_rng(seed, Stream::Think, group)),
        child_lifetime(stream_rng(seed, Stream::ChildLifetime, group)),
        child_cpu(stream_rng(seed, Stream::ChildCpu, group)),
        retry_jitter(stream_rng(seed, Stream::RetryJitter, group)),
        service(stream_rng(seed, Stream::ServiceTime, group)),
        fork_every(stream_rng(seed, Stream::ForkEvery, group)),
        victim_cpu(stream_rng(seed, Stream::VictimCpu, group)) {
    for (int level = 2; level <= child_levels; ++level) {
      uint64_t i = group * 16 + static_cast<uint64_t>(level);
      program_lifetime.push_back(stream_rng(seed, Stream::ProgramLifetime, i));
      program_cpu.push_back(stream_rng(seed, Stream::ProgramCpu, i));
    }
  }
  Rng arrivals, think, child_lifetime, child_cpu, retry_jitter, service, fork_every, victim_cpu;
  std::vector<Rng> program_lifetime, program_cpu;  // levels 2, 3, ...
};

// A latency's mean over one time-series interval.
struct IntervalMean {
  double sum = 0;
  uint64_t n = 0;
  // The mean since the last take (NaN if nothing), and a fresh interval.
  double take() {
    double m = n ? sum / static_cast<double>(n) : std::nan("");
    sum = 0;
    n = 0;
    return m;
  }
};

// One workload of the machine: its spec, where its results go, its random
// streams (group i draws from index i), and the state its processes share
// (an open workload's queue and idle pool; a service's queue, idle
// workers and holds).
struct Group {
  const Workload& w;
  GroupProbes& gp;
  ForkPath path;
  uint16_t index;
  std::string key;                 // its keys' prefix in messages: "workload"
  GroupStreams streams;
  std::deque<double> pending{};    // open, service: arrival times waiting for a process, a worker
  std::deque<Kthread*> idle{};     // open, service: pool processes, workers waiting for work
  double queue_since = 0;          // when pending's length last changed
  // service: its process, and its holds so far ([from, to], in order), to
  // tell whether a request was in the system during one.
  Proc* proc = nullptr;
  std::vector<std::pair<double, double>> holds{};
  // open: the queue's length when the window opens is arrived - taken.
  uint64_t arrived_before_window = 0, taken_before_window = 0;
  // The latencies it reports over time (latency_series), fed as they end.
  std::map<std::string, IntervalMean> in_interval{};
};

class Run {
 public:
  Run(const Scenario& s, const RunOptions& opt)
      : s_(s), opt_(opt), k_(s.kernel_config(), probes_) {
    probes_.window_start_s = s.warmup_s;
    probes_.window_end_s = s.duration_s;
    std::vector<const Workload*> ws = s.workloads();
    // Reserved first: each group keeps a reference to its probes.
    if (s.composite()) probes_.groups.reserve(ws.size());
    for (size_t i = 0; i < ws.size(); ++i) {
      const Workload& w = *ws[i];
      GroupProbes* gp = &probes_;
      std::string key = "workload";
      if (s.composite()) {
        gp = &probes_.groups.emplace_back(w.name, GroupProbes{}).second;
        key = "workload.groups[" + std::to_string(i) + "]";
      }
      // The workload's path is reported even if never tried.
      if (w.type != "interactive") gp->paths[w.path];
      groups_.push_back(std::unique_ptr<Group>(
          new Group{w, *gp, path_from_name(w.path), static_cast<uint16_t>(i), key,
                    GroupStreams(s.seed, i, w.child.depth())}));
      for (const std::string& column : latency_series(w)) {
        groups_.back()->in_interval[column];
        gp->series[column];
      }
    }
    k_.on_child = [this](Proc& c) { start_child(c); };
    if (s.composite())
      k_.path_stats = [this](const Proc& p, ForkPath path) -> PathStats& {
        return groups_[p.group]->gp.paths[path_name(path)];
      };
    k_.on_hold_end = [this](Proc& p, double from, double to) { note_hold(p, from, to); };
    k_.dispatcher().step_by_step = opt.step_by_step;
    k_.dispatcher().set_trace(opt.trace);
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
    sum_groups();
    return probes_;
  }

 private:
  // ---- the workloads -------------------------------------------------
  void start_workload() {
    for (auto& g : groups_) start_group(*g);
  }

  void start_group(Group& g) {
    const Workload& w = g.w;
    const auto& par = w.parent;
    bool rt = par.sched_class == "RT";
    if (w.type == "service") {
      start_service(g);
      return;
    }
    if (w.type == "interactive") {
      g.gp.response_enabled = true;
      spawn(interactive(g, initial_proc(g, par.uid, par.privileged, kVictim, rt)));
      return;
    }
    if (w.type == "fork_bomb") {
      probes_.retry_enabled = true;
      if (probes_.born_by_generation.empty()) probes_.born_by_generation = {0};
      probes_.born_by_generation[0] += static_cast<uint64_t>(w.initial);
      if (generation_.empty()) generation_.assign(static_cast<size_t>(s_.tunables.pidmax) + 1, 0);
      for (int i = 0; i < w.initial && setup_tick(); ++i) {
        Proc* p = initial_proc(g, par.uid, par.privileged, kBomb, rt);
        generation_[p->pid] = 0;
        spawn(bomb(g, p, false));
      }
      if (w.admin_probe.enabled) {
        g.gp.admin_probe_enabled = true;
        spawn(admin(g, initial_proc(g, w.admin_probe.uid, true, kAdmin, false)));
      }
      return;
    }
    for (int i = 0; i < w.parents && setup_tick(); ++i) {
      Proc* p = initial_proc(g, par.uid, par.privileged, kShell, rt);
      if (w.type == "closed") {
        // Each forking LWP loops on its own; the last one out exits.
        live_threads_[p] = par.forking_lwps;
        spawn(closed_parent(g, p, *p->thread));
        for (int l = 1; l < par.forking_lwps && setup_tick(); ++l)
          spawn(closed_parent(g, p, k_.make_lwp_thread(*p)));
      } else {
        live_threads_[p] = 1;
        spawn(open_parent(g, p));
      }
    }
    if (w.type == "open") {
      g.gp.requests_enabled = true;
      spawn(arrivals(g));
    }
  }

  Proc* initial_proc(Group& g, int uid, bool privileged, Role role, bool rt) {
    const auto& par = g.w.parent;
    bool admin = role == kAdmin;
    // A service's parent.lwps are its workers, besides its main LWP.
    int lwps = admin ? 1 : role == kService ? par.lwps + 1 : par.lwps;
    Proc* p = k_.create_initial_proc(uid, privileged, admin ? 0 : par.reserved_mb,
                                     admin ? 0 : par.resident_mb, lwps, par.open_files, rt);
    if (!p) {
      std::string key = g.key + (g.w.type == "fork_bomb"     ? ".initial"
                                 : g.w.type == "service"     ? ".parent.lwps"
                                 : g.w.type == "interactive" ? ".parent"
                                                             : ".parents");
      if (k_.table().slots_used() >= k_.table().v_proc())
        throw ScenarioError(key, "with machine.system_procs the workload's processes do not fit "
                                 "in tunables.max_nprocs (" + std::to_string(k_.table().v_proc()) + ")");
      // %g, not a cast to an integer: the capacity may be beyond any integer's range.
      char reservable[32];
      std::snprintf(reservable, sizeof reservable, "%.10g", k_.swap().capacity_mb(privileged));
      throw ScenarioError(g.key + ".parent.reserved_mb",
                          "the workload's processes' memory does not fit in swap and RAM (" +
                              std::string(reservable) + " MB reservable)");
    }
    p->role = role;
    p->group = g.index;
    return p;
  }

  // A new child's code: a coroutine, started when the parent makes the
  // child runnable; it first waits for its CPU (child_first_run).
  void start_child(Proc& c) {
    Group& g = *groups_[c.group];
    switch (c.role) {
      case kBomb:
        note_born(c);
        spawn(bomb(g, &c, true));
        break;
      case kAdmin: spawn(short_child(&c)); break;
      // A workload parent's child (a shell's, a service's snapshot) is at
      // level 1; a program's child one level below its parent.
      default: spawn(shell_child(g, &c, c.role >= kProgram ? c.role - kProgram + 1 : 1)); break;
    }
  }

  // A bomb child's generation is its parent's plus one (the initial
  // processes are generation 0); the first kGenerations are counted.
  void note_born(Proc& c) {
    // A bomb child's parent is a bomb process (the role is inherited), so
    // its entry was written when it was made; a stale entry of a pid's
    // earlier owner is never read.
    int g = c.parent ? generation_[c.parent->pid] + 1 : 1;
    generation_[c.pid] = static_cast<uint8_t>(std::min(g, kGenerations));
    if (g < kGenerations && SimEngine::now() <= s_.duration_s) {
      auto& born = probes_.born_by_generation;
      if (born.size() <= static_cast<size_t>(g)) born.resize(g + 1);
      ++born[g];
    }
  }
  static constexpr int kGenerations = 32;

  // Closed: think, fork, wait for the child; again. With reap
  // "before_next_fork" the child is reaped after the next think instead.
  Co<void> closed_parent(Group& g, Proc* p, Kthread& t) {
    const bool defer = g.w.parent.reap == "before_next_fork";
    bool owed = false;  // a child of this LWP's last fork is left to reap
    while (!stopping_) {
      co_await think(g, *p, t, draw(Stream::Think, g.w.think_s, g.streams.think));
      if (stopping_) break;
      if (owed) co_await k_.wait_child(*p, t);
      owed = co_await fork_and_wait(g, p, t, std::nullopt, !defer);
    }
    if (owed) {
      if (!t.on_cpu()) co_await k_.dispatcher().run(t);
      co_await k_.wait_child(*p, t);
    }
    co_await finish(p, t);
  }

  // A closed parent's think time, in which it writes writes_mb_per_s (shared
  // by its forking LWPs). While pages a fork protected are left, the writes
  // go in chunks, each followed by its faults on this thread: a clock tick,
  // or a hundredth of a whole sweep if that is longer, so that a slow writer
  // takes no more than about a hundred chunks a fork. After that the rest is
  // one sleep (a fork by another LWP meanwhile is not seen until the next).
  Co<void> think(Group& g, Proc& p, Kthread& t, double seconds) {
    const double pages_per_s =
        g.w.parent.writes_mb_per_s * kPagesPerMb / static_cast<double>(g.w.parent.forking_lwps);
    const double chunk =
        pages_per_s > 0 ? std::max(1.0 / s_.machine.hz, p.resident_mb * kPagesPerMb / pages_per_s / 100)
                        : 0;
    while (pages_per_s > 0 && seconds > 0 && p.cow.protected_pages > 0) {
      double d = std::min(chunk, seconds);
      co_await user_sleep(t, d);
      co_await k_.write_pages(p, t, d * pages_per_s);
      seconds -= d;
    }
    co_await user_sleep(t, seconds);
  }

  // Open: Poisson arrivals; each is served by an idle process of the pool.
  Co<void> arrivals(Group& g) {
    for (;;) {
      co_await SimEngine::wait_for(g.streams.arrivals.exponential(1.0 / g.w.rate_per_s));
      double now = SimEngine::now();
      if (stopping_ || now >= s_.duration_s) break;
      if (opt_.on_draw) opt_.on_draw(Stream::Arrivals, now);
      note_queue(g, now);
      g.pending.push_back(now);
      RequestStats& q = g.gp.requests;
      if (now < probes_.window_start_s)
        ++g.arrived_before_window;
      else if (probes_.in_window(now))
        ++q.offered;
      q.waiting_max = std::max<uint64_t>(q.waiting_max, g.pending.size());
      if (!g.idle.empty()) {
        Kthread* t = g.idle.front();
        g.idle.pop_front();
        k_.dispatcher().make_runnable(*t);  // woken from its wait for work
      }
    }
  }

  Co<void> open_parent(Group& g, Proc* p) {
    Kthread& t = *p->thread;
    co_await k_.dispatcher().run(t);
    while (std::optional<double> arrived = co_await next_request(g, t))
      co_await fork_and_wait(g, p, t, arrived);
    co_await finish(p, t);
  }

  // t (a pool process, a worker) waits idle, off CPU, for the oldest
  // queued request and takes it: its arrival time; nothing once the run
  // stops.
  Co<std::optional<double>> next_request(Group& g, Kthread& t) {
    while (g.pending.empty() && !stopping_) co_await park(g, t);
    if (stopping_) co_return std::nullopt;
    co_return take_request(g);
  }

  // An open workload's request, which arrived at `arrived`, is served when
  // the fork returns, whatever its outcome; the wait for the child is the
  // process's business, not the request's. Without `wait`, the child is left
  // to reap: returns whether there is one.
  Co<bool> fork_and_wait(Group& g, Proc* p, Kthread& t,
                         std::optional<double> arrived = std::nullopt, bool wait = true) {
    if (!t.on_cpu()) co_await k_.dispatcher().run(t);
    ForkResult r = co_await timed_fork(g, *p, t, g.gp.paths[g.w.path], g.path);
    double now = SimEngine::now();
    if (arrived && probes_.in_window(now)) g.gp.requests.latency.record(now - *arrived);
    if (!r.child) co_return false;
    if (wait) co_await k_.wait_child(*p, t);
    co_return !wait;
  }

  // The oldest queued request is taken now (by a process, a worker): its
  // arrival time.
  double take_request(Group& g) {
    double now = SimEngine::now();
    note_queue(g, now);
    double arrived = g.pending.front();
    g.pending.pop_front();
    note_taken(g, arrived);
    return arrived;
  }

  // The queue's length is about to change at `now`: the time it had its
  // length counts towards the window's mean and maximum.
  void note_queue(Group& g, double now) {
    ServiceStats& s = g.gp.service;
    double len = static_cast<double>(g.pending.size());
    double overlap = window_overlap(probes_, g.queue_since, now);
    s.queue_area += len * overlap;
    if (overlap > 0 || probes_.in_window(now))
      s.queue_max = std::max<uint64_t>(s.queue_max, g.pending.size());
    g.queue_since = now;
  }

  // A process takes the request that arrived at `arrived`, now.
  void note_taken(Group& g, double arrived) {
    double now = SimEngine::now();
    RequestStats& q = g.gp.requests;
    if (now < probes_.window_start_s) {
      ++g.taken_before_window;
    } else if (probes_.in_window(now)) {
      q.wait.record(now - arrived);
      if (now > arrived) ++q.waited;
    }
  }

  // Where the request queue stands when the window closes at `end`: the
  // requests still queued are censored observations of latency (they took
  // at least their age), counted rather than dropped.
  void close_request_window(Group& g, double end) {
    if (!g.gp.requests_enabled) return;
    RequestStats& q = g.gp.requests;
    note_queue(g, end);
    q.queue_start = g.arrived_before_window - g.taken_before_window;
    q.unserved_at_end = g.pending.size();
    q.unserved_age_sum_s = 0;
    for (double a : g.pending) q.unserved_age_sum_s += end - a;
    q.unserved_age_max_s = g.pending.empty() ? 0 : end - g.pending.front();  // FIFO: oldest first
  }

  // ---- the service ---------------------------------------------------------
  // One process: parent.lwps workers serve the requests arrivals() queues;
  // its main LWP forks every fork_every_s (if at all), reaping each child
  // before the next fork, so a child that outlives the gap delays it.
  void start_service(Group& g) {
    const auto& par = g.w.parent;
    Proc* p = initial_proc(g, par.uid, par.privileged, kService, par.sched_class == "RT");
    g.proc = p;
    g.gp.requests_enabled = g.gp.service_enabled = true;
    live_threads_[p] = par.lwps + 1;
    spawn(service_main(g, p));
    for (int l = 0; l < par.lwps && setup_tick(); ++l)
      spawn(service_worker(g, p, k_.make_lwp_thread(*p)));
    spawn(arrivals(g));
  }

  Co<void> service_main(Group& g, Proc* p) {
    Kthread& t = *p->thread;
    co_await k_.dispatcher().run(t);
    double next = SimEngine::now();
    while (!stopping_) {
      if (g.w.forks) next += draw(Stream::ForkEvery, g.w.fork_every_s, g.streams.fork_every);
      if (!g.w.forks || next >= s_.duration_s) {  // no fork before the end: idle until then
        co_await user_sleep(t, s_.duration_s - SimEngine::now());
        break;
      }
      co_await user_sleep(t, next - SimEngine::now());
      if (stopping_) break;
      co_await fork_and_wait(g, p, t);
    }
    co_await finish(p, t);
  }

  // A worker: takes the oldest request, does its CPU work in user mode
  // (stopped by any fork's holdlwps in the middle of it), and is done.
  Co<void> service_worker(Group& g, Proc* p, Kthread& t) {
    co_await k_.dispatcher().run(t);
    while (std::optional<double> arrived = co_await next_request(g, t)) {
      co_await k_.user_work(*p, t, draw(Stream::ServiceTime, g.w.service_s, g.streams.service));
      if (g.w.write_mb_per_request > 0)
        co_await k_.write_pages(*p, t, g.w.write_mb_per_request * kPagesPerMb);
      double now = SimEngine::now();
      feed(g, "request_latency_s", now - *arrived);
      if (!probes_.in_window(now)) continue;
      g.gp.requests.latency.record(now - *arrived);
      ServiceStats& s = g.gp.service;
      (near_hold(g, *arrived, now) ? s.near_fork : s.away_from_fork).record(now - *arrived);
    }
    co_await finish(p, t);
  }

  void note_hold(Proc& p, double from, double to) {
    Group& g = *groups_[p.group];
    if (g.proc != &p) return;  // another workload's LWPs (closed, forking_lwps)
    g.holds.emplace_back(from, to);
    if (probes_.in_window(to)) g.gp.service.stall.record(to - from);
  }

  // Whether [arrived, done] overlaps a hold, past or under way.
  bool near_hold(const Group& g, double arrived, double done) const {
    if (g.proc->holder && g.proc->held_from_s <= done) return true;
    for (auto h = g.holds.rbegin(); h != g.holds.rend() && h->second >= arrived; ++h)
      if (h->first <= done) return true;
    return false;
  }

  // A fork bomb process: makes its fan_out children (or forks for ever),
  // each retried by the policy on failure; then exits (exit_after_fork) or
  // waits for the run's end. One that gave up exits: bash's error ends the
  // subshell. One frame for the loop, the retries and the fork's timing,
  // calling cfork's two halves itself: at kernel scale nearly every one of
  // a million bomb processes waits inside a fork at once, and each
  // coroutine level is a frame of its own (docs/performance.md).
  // Its frame keeps no more than it must: no references to what g and p
  // give at once, and one Co slot for its first run, one for its end.
  Co<void> bomb(Group& g, Proc* p, bool is_child) {
    co_await first_run(*p, is_child);
    bool gave_up = false;
    for (int made = 0; !stopping_ && (g.w.fan_out == 0 || made < g.w.fan_out); ++made) {
      // bash's forksleep starts at 1 s and doubles while below FORKSLEEP_MAX.
      const bool bash = g.w.retry.kind == RetryPolicy::Kind::Bash;
      double delay = bash ? 1 : g.w.retry.delay_s;
      uint64_t sleeps = 0;
      double slept = 0;
      bool made_one = false;
      for (;;) {
        double t0 = SimEngine::now();
        ForkResult r = co_await k_.cfork_start(*p, *p->thread, g.path, 0);
        if (r.err == Err::Ok) co_await k_.cfork_return(*p, *p->thread, g.path, *r.child);
        note_fork(g, g.gp.paths[g.w.path], r, t0);
        if (r.err == Err::Ok) {
          made_one = true;
          break;
        }
        if (bash && (r.err != Err::EAGAIN_ || delay >= kBashForksleepMax)) {
          gave_up = true;
          note_give_up(sleeps, slept);
          break;
        }
        const RetryPolicy& rp = g.w.retry;
        double d = 0;
        switch (rp.kind) {
          case RetryPolicy::Kind::Immediate: break;
          case RetryPolicy::Kind::Fixed: d = jittered(g, rp.delay_s); break;
          case RetryPolicy::Kind::Exponential:
            d = jittered(g, delay);
            delay = std::min(2 * delay, rp.max_delay_s);
            break;
          case RetryPolicy::Kind::Bash:
            d = jittered(g, delay);
            delay *= 2;
            break;
        }
        if (rp.kind != RetryPolicy::Kind::Immediate) {
          co_await user_sleep(*p->thread, d);
          ++sleeps;
          slept += d;
          if (probes_.in_window(SimEngine::now())) {
            ++probes_.retry.sleeps;
            probes_.retry.sleep_total_s += d;
          }
        }
        if (stopping_) break;
      }
      if (!made_one) break;
    }
    co_await bomb_end(g, p, !gave_up && !g.w.exit_after_fork);
  }

  // A bomb process's first run: a child's (child_first_run), or an initial
  // process's wait for a CPU. Not a coroutine itself: `co_await (c ? f() :
  // g())` in bomb crashed in GCC 12's build.
  Co<void> first_run(Proc& p, bool is_child) {
    return is_child ? child_first_run(p) : initial_run(*p.thread);
  }
  Co<void> initial_run(Kthread& t) { co_await k_.dispatcher().run(t); }

  // A bomb process done forking: asleep (off CPU) until stop() wakes it,
  // if `park`; then it exits.
  Co<void> bomb_end(Group& g, Proc* p, bool park_first) {
    if (park_first)
      while (!stopping_) co_await park(g, *p->thread);
    co_await finish(p, *p->thread);
  }

  // bash's jobs.h FORKSLEEP_MAX: bash's make_child sleeps 1, 2, 4, 8 s between
  // its five attempts and gives up on the fifth failure.
  static constexpr double kBashForksleepMax = 16;

  // A retry delay times a uniform factor in [1-jitter, 1+jitter]; no draw
  // without jitter, so that such runs keep their random sequence.
  double jittered(Group& g, double d) {
    double j = g.w.retry.jitter;
    return j > 0 ? d * (1 + j * (2 * g.streams.retry_jitter.uniform01() - 1)) : d;
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
  Co<void> admin(Group& g, Proc* p) {
    Kthread& t = *p->thread;
    while (!stopping_) {
      co_await user_sleep(t, g.w.admin_probe.interval_s);
      if (stopping_) break;
      if (!t.on_cpu()) co_await k_.dispatcher().run(t);
      double t0 = SimEngine::now();
      ForkResult r = co_await timed_fork(g, *p, t, g.gp.admin_probe, ForkPath::Fork1);
      if (r.err == Err::Ok) feed(g, "admin_latency_s", SimEngine::now() - t0);
      if (r.child) co_await k_.wait_child(*p, t);
    }
    co_await finish(p, t);
  }

  // The usability victim: wakes at every multiple of period_s, runs its
  // CPU work, and measures how late it finished. A wake-up whose time has
  // passed while the work before it ran (an overrun) comes at once and is
  // still measured from its own time: lateness accumulates, as it would
  // for a user. It never forks.
  Co<void> interactive(Group& g, Proc* p) {
    Kthread& t = *p->thread;
    double due = 0;
    while (!stopping_) {
      double now = SimEngine::now();
      if (due > now) {
        co_await user_sleep(t, due - now);
      } else if (!t.on_cpu()) {
        co_await k_.dispatcher().run(t);
      }
      if (stopping_) break;
      double cpu = draw(Stream::VictimCpu, g.w.cpu_s, g.streams.victim_cpu);
      co_await k_.dispatcher().run_user(t, cpu);
      double done = SimEngine::now();
      if (probes_.in_window(done)) g.gp.response.record(done - due);
      feed(g, "response_s", done - due);
      due += g.w.period_s;
    }
    co_await finish(p, t);
  }

  // A child program at `level` of its group's tree (1: the workload
  // parent's child): exec, CPU work, its own children one after another
  // (each forked by the group's path and waited for, as a shell runs
  // commands), its lifetime off CPU, exit. Children inherit its uid and
  // scheduling class (getproc, ts_fork/rt_fork).
  Co<void> shell_child(Group& g, Proc* c, int level) {
    Kthread& t = *c->thread;
    const ChildSpec* spec = &g.w.child;
    for (int l = 1; l < level; ++l) spec = spec->forks_child.get();
    const ChildSpec& child = *spec;
    co_await child_first_run(*c);
    if (child.exec &&
        co_await k_.exec(*c, child.exec_reserved_mb, child.exec_resident_mb) != Err::Ok) {
      co_await k_.exit_proc(*c, t);
      co_return;
    }
    bool first = level == 1;
    double cpu = first ? draw(Stream::ChildCpu, child.cpu_s, g.streams.child_cpu)
                       : draw(Stream::ProgramCpu, child.cpu_s, g.streams.program_cpu[level - 2]);
    if (cpu > 0) co_await k_.dispatcher().run_user(t, cpu);
    c->role = static_cast<uint8_t>(kProgram + level);
    for (int i = 0; i < child.forks && !stopping_; ++i) co_await fork_and_wait(g, c, t);
    double life = first ? draw(Stream::ChildLifetime, child.lifetime_s, g.streams.child_lifetime)
                        : draw(Stream::ProgramLifetime, child.lifetime_s,
                               g.streams.program_lifetime[level - 2]);
    co_await user_sleep(t, life);
    co_await k_.exit_proc(*c, t);
  }

  Co<void> short_child(Proc* c) {
    co_await child_first_run(*c);
    co_await k_.exit_proc(*c, *c->thread);
  }

  // ---- helpers -----------------------------------------------------------
  double draw(Stream purpose, const Dist& d, Rng& rng) {
    double x = d.sample(rng);
    if (opt_.on_draw) opt_.on_draw(purpose, x);
    return x;
  }

  // Off CPU in g's idle list until arrivals() or stop() makes t runnable.
  Co<void> park(Group& g, Kthread& t) {
    co_await t.flush();
    g.idle.push_back(&t);
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
  Co<ForkResult> timed_fork(Group& g, Proc& p, Kthread& t, PathStats& st, ForkPath path) {
    double t0 = SimEngine::now();
    ForkResult r = co_await k_.cfork(p, t, path, 0);
    note_fork(g, st, r, t0);
    co_return r;
  }
  // A fork call that began at t0 returned now with r: its counts.
  void note_fork(Group& g, PathStats& st, const ForkResult& r, double t0) {
    double t1 = SimEngine::now();
    if (r.err != Err::Ok) ++failures_since_sample_;
    // The time series' throughput counts what the report's paths count.
    if (r.err == Err::Ok && &st != &g.gp.admin_probe) ++forks_since_sample_;
    if (!probes_.in_window(t1)) return;
    ++st.attempts;
    if (r.err == Err::Ok) {
      ++st.successes;
      st.latency.record(t1 - t0);
    } else {
      const char* e = err_name(r.err);
      ++st.failures[e];
      st.failure_latency[e].record(t1 - t0);
      ++probes_.backoff.by_reason[reason_name(r.reason)];
      ++g.gp.failures_by_reason[reason_name(r.reason)];
    }
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
      x.runq = static_cast<int>(k_.dispatcher().queued());
      x.forks_per_s = i == 0 ? 0 : forks_since_sample_ / period;
      double busy = k_.dispatcher().busy_s_so_far();
      x.cpu_utilization = i == 0 ? 0 : (busy - busy_at_sample_) / (k_.dispatcher().ncpus() * period);
      busy_at_sample_ = busy;
      failures_since_sample_ = 0;
      forks_since_sample_ = 0;
      probes_.timeseries.push_back(x);
      for (auto& g : groups_)
        for (auto& [column, acc] : g->in_interval) g->gp.series[column].push_back(acc.take());
    }
  }

  // A latency that ended now, for the group's series `column` (one of its
  // latency_series).
  void feed(Group& g, const std::string& column, double seconds) {
    IntervalMean& m = g.in_interval.at(column);
    m.sum += seconds;
    ++m.n;
  }

  void stop() {
    stopping_ = true;
    probes_.nproc_end = k_.table().nproc();
    for (auto& g : groups_) {
      close_request_window(*g, probes_.window_end_s);
      // Idle pool processes wake up to exit.
      while (!g->idle.empty()) {
        Kthread* t = g->idle.front();
        g->idle.pop_front();
        k_.dispatcher().make_runnable(*t);
      }
      g->pending.clear();
    }
  }

  // A composite machine's top-level paths are its groups' together.
  void sum_groups() {
    for (const auto& [name, gp] : probes_.groups) {
      for (const auto& [path, st] : gp.paths) {
        PathStats& sum = probes_.paths[path];
        sum.attempts += st.attempts;
        sum.successes += st.successes;
        sum.latency.merge(st.latency);
        for (const auto& [e, n] : st.failures) sum.failures[e] += n;
        for (const auto& [e, h] : st.failure_latency) sum.failure_latency[e].merge(h);
        sum.write_faults.faults += st.write_faults.faults;
        sum.write_faults.copies += st.write_faults.copies;
        sum.write_faults.cpu_s += st.write_faults.cpu_s;
        sum.write_faults.slowed_s.merge(st.write_faults.slowed_s);
      }
    }
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
    if (s_.composite()) {
      std::vector<int> live = k_.live_by_group(groups_.size());
      for (size_t i = 0; i < groups_.size(); ++i) groups_[i]->gp.procs_after_drain = live[i];
    }
    inv.cow_page_balance = k_.cow_page_balance();
    probes_.nproc_max = k_.table().nproc_max();
  }

  void count_engine() {
    probes_.engine_events = eng_.resumptions();
    probes_.engine_rounds = eng_.rounds();
  }

  uint64_t max_events_at_instant() const {
    if (opt_.max_events_at_instant) return opt_.max_events_at_instant;
    uint64_t threads = static_cast<uint64_t>(s_.tunables.max_nprocs);
    for (const auto& g : groups_)
      threads += g->w.type == "service"
                     ? static_cast<uint64_t>(g->w.parent.lwps) + 1
                     : static_cast<uint64_t>(g->w.parents) * g->w.parent.forking_lwps;
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
    if (std::string(phase_) != "drain")
      for (auto& g : groups_) close_request_window(*g, probes_.window_end_s);
    sum_groups();
    return probes_;
  }

  const Scenario& s_;
  const RunOptions opt_;
  SimEngine eng_;  // first: the kernel's threads are the engine's coroutines
  Probes probes_;
  Kernel k_;
  std::vector<std::unique_ptr<Group>> groups_;  // in the scenario's order
  bool stopping_ = false;
  const char* phase_ = "set-up";
  std::string stop_why_;           // set-up stopped by the monitor
  uint64_t setup_made_ = 0;
  std::unordered_map<Proc*, int> live_threads_;  // closed/open parents' running LWPs
  // fork_bomb: each live bomb process's generation by pid, kGenerations
  // standing for any beyond the counted ones. A hash map of Proc* cost 5%
  // of bomb_1m's fill and 50 bytes a process.
  std::vector<uint8_t> generation_;
  uint64_t failures_since_sample_ = 0;
  uint64_t forks_since_sample_ = 0;
  double busy_at_sample_ = 0;
};

}  // namespace

std::vector<std::string> latency_series(const Workload& w) {
  if (w.type == "interactive") return {"response_s"};
  if (w.type == "service") return {"request_latency_s"};
  if (w.type == "fork_bomb" && w.admin_probe.enabled) return {"admin_latency_s"};
  return {};
}

Probes run_scenario(const Scenario& s, const RunOptions& opt) {
  // A run stopped early leaves coroutines suspended for good: their frames
  // are left (they hold nothing but memory), the rest is torn down.
  Run r(s, opt);
  return r.run();
}

}  // namespace forksim
