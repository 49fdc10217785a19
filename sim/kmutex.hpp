// An illumos adaptive mutex (os/mutex.c): a waiter spins, burning its CPU,
// while the owner runs on a CPU, and sleeps on the lock's turnstile once the
// owner is off CPU.
//
// A spinner does not watch the lock continuously: mutex_vector_enter waits
// a random number of MUTEX_DELAY steps (default_lock_delay: uniform in
// [1, backoff]) before each look, and the backoff grows fourfold
// (default_lock_backoff) at each look that finds a new owner, capped at
// ncpus x mutex_cap_factor (64) steps, back to 1 after ncpus such changes
// or after sleeping on the turnstile. Release is a plain store: the lock is
// left free, every turnstile sleeper is woken (mutex_vector_exit ->
// turnstile_wakeup of all), and the lock goes to whoever gets there first,
// so it sits idle until the earliest spinner's next look: a saturated lock
// is never busy all the time. A thread that comes along in that gap takes
// the free lock. A woken sleeper tries again once it has a CPU; it does not
// own the lock meanwhile, so no convoy forms behind a descheduled owner.
//
// No engine event per look: a spinner's looks are worked out lazily at each
// release from its backoff state, and only the winner's look is an event.
// A spinner handed the lock pays mutex_handoff (the cache line moving) on
// top, plus sharer_ns for every other spinner that read the line during the
// hold: the release's store has to take the line back from each of them
// before the winner's cas can have it. This is the traffic mutex.c's backoff
// exists to limit (its theory statement: spinners contending for the lock's
// line generate the memory traffic; more than 20 waiters cut lock throughput
// five-fold before the backoff) and the reason a saturated lock's throughput
// falls rather than plateaus as CPUs are added. A sleeper pays a context
// switch when it is dispatched again.
//
// Statistics go to a LockStats shared by every instance of the same name
// (p_lock of every process counts as one). Each instance also keeps its own
// hold time, so the stats know the busiest instance. Every entry names its
// caller, a LockSite (the model's step the lock is taken for), and the
// stats keep spin, block and hold figures per caller as lockstat(8) does
// per (lock, caller): bounded by the number of sites, not of acquisitions.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "analysis/probes.hpp"
#include "sim/coro.hpp"
#include "sim/dist.hpp"
#include "sim/kthread.hpp"
#include "sim/ptr_list.hpp"

namespace forksim {

// What every mutex of a run draws on; shared, and must outlive them.
struct MutexCosts {
  std::function<double()> handoff_ns;   // the lock's cache line moving to a spinner
  double backoff_unit_ns = 0;           // one MUTEX_DELAY step, at cpu_speed 1.0
  Rng* rng = nullptr;                   // the backoff's own stream (unused at unit 0)
  double sharer_ns = 0;                 // a hand-off's extra per spinner holding a copy
};

// default_lock_backoff (mutex.c) with the x86 constants: base 1, shift 2,
// cap ncpus x 64 steps. 0 gives the base.
uint32_t next_lock_backoff(uint32_t backoff, int ncpus);

// Who takes a lock: an index the model gives (its step catalogue's), kept
// per acquisition and named in Probes::lock_sites.
using LockSite = uint16_t;

// What every instance of one lock (the p_lock of every process) shares:
// its name (a literal, naming it in traces), statistics and costs.
struct LockClass {
  const char* name;
  LockStats* stats;
  const MutexCosts* costs;
};

class KMutex {
 public:
  // `cls` must outlive the mutex. One pointer for the three: a million
  // processes have three mutexes each.
  explicit KMutex(const LockClass& cls) : cls_(&cls) {}
  // A lock with a class of its own (a global lock); `name` must outlive it.
  KMutex(const char* name, LockStats& stats, const MutexCosts& costs)
      : cls_(new LockClass{name, &stats, &costs}), owns_cls_(true) {}
  ~KMutex() {
    if (owns_cls_) delete cls_;
  }
  KMutex(const KMutex&) = delete;
  KMutex& operator=(const KMutex&) = delete;

  Co<void> enter(Kthread& t, LockSite site);
  Co<void> exit(Kthread& t);
  // For a lock no other thread can touch until the matching exit (the
  // caller's model guarantees it): taken and released at the thread's own
  // clock, its pending CPU work included, without flushing it. Same
  // statistics, no engine event. Throws if the lock is in use.
  void enter_private(Kthread& t, LockSite site);
  void exit_private(Kthread& t);

  bool held() const { return owner_ != nullptr; }
  Kthread* owner() const { return owner_; }
  LockSite site() const { return site_; }  // the current hold's caller
  const char* name() const { return cls_->name; }
  size_t waiters() const { return spinners_.size() + sleepers_.size(); }

 private:
  struct Spinner;  // one waiter's mutex_vector_enter state, in its enter() frame
  friend class Dispatcher;
  // The owner has left its CPU: spinners go to sleep on the turnstile.
  void owner_off_cpu(Dispatcher& d);
  // The lock was held from `from` to `to`: its part inside the window.
  void add_hold(const Probes& pr, double from, double to);
  void take(Kthread& t, LockSite site);
  // One acquisition's lockstat events, where it started in the window.
  void add_acquisition(LockSite site, bool contended, double spin_s, double block_s);
  void stop_spinning(Spinner& s);
  // Seconds of one default_lock_delay at `backoff` (a random draw).
  double delay_s(const Kthread& t, uint32_t backoff) const;
  // s's looks before `now`, all of which saw `owner`, done lazily.
  void advance(Spinner& s, double now, const Kthread* owner);

  LockStats& stats() const { return *cls_->stats; }
  const MutexCosts& costs() const { return *cls_->costs; }

  // Ordered for packing: every process has three.
  const LockClass* cls_;
  Kthread* owner_ = nullptr;
  double acquired_at_ = 0;
  double hold_s_ = 0;  // this instance's hold time inside the window
  // PtrLists, not deques or vectors: a deque allocates on construction, a
  // vector takes 24 bytes. Spinners are at most ncpus (each holds a CPU).
  PtrList<Spinner*> spinners_;  // on their CPUs, in arrival order
  PtrList<Kthread*> sleepers_;  // on the turnstile, woken all at once
  int sharers_ = 0;    // spinners that read the line during the last hold
  LockSite site_ = 0;
  bool owns_cls_ = false;
};

}  // namespace forksim
