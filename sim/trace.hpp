// A timeline of one run for a trace viewer: what each thread did (on a CPU,
// waiting for one, asleep, waiting for a lock, holding one, inside a fork
// call) in a window of simulated time, as begin/end events per track.
// Plain data and its recording; cli/trace_file.hpp writes it as Chrome
// trace-event JSON.
//
// The dispatcher, the locks and the model call the hooks through
// Dispatcher::trace(), null when no trace was asked for: a pointer test per
// hook is all tracing costs then. The hooks are cold, so that the compiler
// lays out and inlines their callers as if the calls were not there.
//
// Tracks: one per CPU, one per thread lifetime, numbered in the order they
// first have an event. The dispatcher has one queue and no CPU identity, so
// the recorder numbers the CPUs itself: a thread given a CPU takes the
// lowest-numbered free one. A Kthread is reused with its Proc, and pids are
// reused, so a thread's track is its Kthread under one naming
// (named_thread): naming it again starts a new track. A thread the model
// never names (the thread reaper) is a kernel thread, known by its id.
//
// Nesting on a thread's track: a fork call holds lock waits and holds (in
// the order taken), and those the thread's off-CPU states (runnable, asleep,
// on a lock's turnstile), which are always innermost, since a thread runs no
// code in them. A lock released while one taken after it is still held
// (forkret drops pidlock under the child's p_lock) ends the later slices
// with it and begins them again at once, marked `resumed`, so that every
// track nests.
//
// Times: the engine's clock for the dispatcher's hooks; the thread's own
// clock (the engine's plus its CPU work not yet flushed) for the others,
// since a lock taken with enter_private is taken there. Each track's times
// are kept non-decreasing (a thread preempted in CPU work that a private
// hold was timed after shows the preemption at the hold's end).
//
// Bounds: only events inside [from_s, to_s] are kept; slices open at from_s
// begin there, those still open at to_s (or where the run stopped) end
// there, both marked `resumed`. At most max_events B, E and flow events:
// the first slice or flow that would not fit, with room kept to end every
// slice open, cuts the trace at its time: every open slice ends there and
// nothing later is kept; events_dropped counts what the window would have
// held after the cut.
#pragma once
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "sim/kthread.hpp"

namespace forksim {

class KMutex;

struct TraceOptions {
  double from_s = 0;
  double to_s = 0;
  uint64_t max_events = 200000;
};

enum class SliceKind : uint8_t { Burst, Runnable, Sleep, Turnstile, LockWait, LockHold, Fork };

struct TraceSlice {
  SliceKind kind = SliceKind::Burst;
  const char* name = nullptr;  // LockWait, LockHold: the lock; Fork: the path; Sleep: why
  uint16_t site = 0;           // LockHold: who took it (Probes::lock_sites' index)
  uint32_t thread = 0;         // Burst: the track of the thread on the CPU
};

struct TraceTrack {
  enum class Kind : uint8_t { Cpu, Process, Kernel };
  Kind kind = Kind::Kernel;
  int cpu = -1;         // Cpu: 0, 1, ...
  int pid = -1;         // Process: the simulated pid
  int lwp = 0;          // Process: its LWP number, 1 for the main one
  int parent_pid = -1;  // Process: its parent's pid when it was named, -1: none in the model
  uint64_t life = 0;    // Process: the process lifetime (1, 2, ... in naming order)
  int thread_id = -1;   // Process, Kernel: the Kthread's id
};

// What a fork call returned (the E event of its slice).
struct ForkOutcome {
  const char* err = "";     // "OK", "EAGAIN", ...
  const char* reason = "";  // FailReason's name, "none" for a success
  int child_pid = -1;
};

struct TraceEvent {
  double ts_s = 0;
  uint64_t seq = 0;    // order among events of one time
  uint32_t track = 0;
  char ph = 'B';       // 'B', 'E', 's' (flow from a fork), 'f' (flow to the child)
  // B: begun at the window's start, or again after a split; E: ended by a
  // split, the window's end or the cut.
  bool resumed = false;
  TraceSlice slice;    // B, E: the slice
  uint32_t aux = 0;    // s, f: the flow's id; E of a fork: 1 + its index in forks()
};

class Trace {
 public:
  explicit Trace(const TraceOptions& o) : opt_(o) {}

  // The model names a thread: LWP `lwp` of process `pid` (parent_pid -1:
  // none). lwp 1 starts a new process lifetime.
  [[gnu::cold]] void named_thread(const Kthread& t, int pid, int lwp, int parent_pid);

  // Dispatcher: t gets a CPU; leaves it for new_state; is woken from a
  // sleep; is queued for a CPU.
  [[gnu::cold]] void on_cpu(const Kthread& t);
  [[gnu::cold]] void off_cpu(const Kthread& t, Kthread::State new_state);
  [[gnu::cold]] void woken(const Kthread& t);
  [[gnu::cold]] void queued(const Kthread& t);
  // t's next sleep is for this (a literal): "delay", "cv_wait".
  [[gnu::cold]] void sleep_reason(const Kthread& t, const char* why);

  // KMutex: t finds m held and waits; took it for `site` at time `at`;
  // releases it.
  [[gnu::cold]] void lock_wait(const Kthread& t, const KMutex& m);
  [[gnu::cold]] void lock_hold(const Kthread& t, const KMutex& m, uint16_t site, double at);
  [[gnu::cold]] void lock_release(const Kthread& t, const KMutex& m);

  // cfork: t enters the fork call `path` (a literal), returns from it, and
  // makes the child's thread runnable (the flow goes to its first burst).
  [[gnu::cold]] void fork_entry(const Kthread& t, const char* path);
  [[gnu::cold]] void fork_return(const Kthread& t, const ForkOutcome& r);
  [[gnu::cold]] void fork_child(const Kthread& parent, const Kthread& child);

  // The run is over at end_s: slices still open end at min(to_s, end_s),
  // and the events are put in (ts, seq) order. Hooks after it do nothing.
  void finish(double end_s);

  const TraceOptions& options() const { return opt_; }
  const std::vector<TraceEvent>& events() const { return events_; }
  const std::vector<TraceTrack>& tracks() const { return tracks_; }
  const std::vector<ForkOutcome>& forks() const { return forks_; }
  bool truncated() const { return cut_; }
  double cut_s() const { return cut_s_; }
  uint64_t events_dropped() const { return dropped_; }

 private:
  struct Open {
    TraceSlice slice;
    const void* obj = nullptr;  // the lock, for matching its release
    bool emitted = false;       // its B is written, its E is owed
    bool cut_ended = false;     // its E was written by the cut
  };
  struct Lane {
    TraceTrack id;
    int32_t track = -1;   // in tracks_, once it has an event
    double last_s = 0;    // its latest time: times on it never go back
    double last_emit_s = 0;
    std::vector<Open> stack;
  };
  struct Thread {
    Lane lane;
    int cpu = -1;
    const char* sleep_why = nullptr;
    // The flow from the fork that made it, drawn at its first burst.
    bool flow = false;
    double flow_s = 0;
    uint64_t flow_seq = 0;
    uint32_t flow_from = 0;
  };
  enum class Phase : uint8_t { Before, Open, Done };

  Thread& thread(const Kthread& t);
  // The global checks every hook starts with: false once the window is over.
  bool live();
  double advance(Lane& l, double t);
  void push(Lane& l, TraceSlice s, const void* obj, double t);
  // Ends the innermost slice of `kind` (and `obj`) on l, if there is one.
  void pop(Lane& l, SliceKind kind, const void* obj, double t, const ForkOutcome* r = nullptr);
  // Ends l's innermost slice if it is an off-CPU state.
  void pop_leaf(Lane& l, double t);
  bool emit(Lane& l, char ph, const TraceSlice& s, double t, bool resumed, uint32_t aux = 0,
            uint64_t seq = UINT64_MAX);
  bool begin(Lane& l, Open& o, double t, bool resumed);
  void end(Lane& l, Open& o, double t, bool resumed, const ForkOutcome* r = nullptr);
  bool fits(uint64_t n) const { return emitted_ + open_ + n <= opt_.max_events; }
  bool in_window(double t) const { return phase_ == Phase::Open && !cut_ && t <= opt_.to_s; }
  uint32_t track_of(Lane& l);
  void open_window();
  void cut(double t);
  void close_window(double at);
  template <class F> void each_lane(F f);

  TraceOptions opt_;
  Phase phase_ = Phase::Before;
  bool cut_ = false;
  double cut_s_ = 0;
  uint64_t emitted_ = 0, open_ = 0, dropped_ = 0, seq_ = 0;
  uint32_t flows_ = 0;
  uint64_t lives_ = 0;
  std::vector<TraceEvent> events_;
  std::vector<TraceTrack> tracks_;
  std::vector<ForkOutcome> forks_;
  std::vector<Lane> cpus_;
  std::deque<Thread> threads_;  // in the order first seen: what every pass over them follows
  std::unordered_map<const Kthread*, size_t> index_;
  std::unordered_map<int, uint64_t> life_of_pid_;
};

}  // namespace forksim
