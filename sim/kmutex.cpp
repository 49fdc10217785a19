#include "sim/kmutex.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/dispatcher.hpp"
#include "sim/engine.hpp"
#include "sim/trace.hpp"

namespace forksim {

namespace {
// intel/sys/mutex_impl.h: MUTEX_BACKOFF_BASE, MUTEX_BACKOFF_SHIFT,
// MUTEX_CAP_FACTOR.
constexpr uint32_t kBackoffBase = 1, kBackoffShift = 2, kCapFactor = 64;
// A spinner's looks during a hold are followed one by one up to this many
// mean delays; past it, its next look is drawn from the renewal process's
// stationary residual instead (delays uniform on [1, b], b >= 4, forget
// where they started within a few of them), so a long hold costs two
// draws, not one per look.
constexpr double kMixingDelays = 8;
}  // namespace

uint32_t next_lock_backoff(uint32_t backoff, int ncpus) {
  if (backoff == 0) return kBackoffBase;
  uint32_t cap = static_cast<uint32_t>(ncpus) * kCapFactor;
  backoff <<= kBackoffShift;
  if (backoff > cap) backoff = cap < kBackoffBase ? kBackoffBase : cap;
  return backoff;
}

// mutex_vector_enter's locals for one waiter, and when its next look is.
struct KMutex::Spinner {
  Kthread* t;
  const Kthread* last_owner = nullptr;  // lastowner
  double next_look = 0;                 // end of the delay it is in
  uint32_t backoff = kBackoffBase;
  int changes = 0;                      // changecnt
  bool scheduled = false;               // that look is an engine event already
  bool has_copy = false;                // looked since the last release
  // lockstat's figures for this acquisition: time spun on CPU, and on the
  // turnstile from each sleep's start to being back on a CPU.
  double spun_s = 0;
  double block_s = 0;
  double slept_at = 0;

  // A look that finds the lock held by `owner` (mutex.c 392-409).
  void look(const Kthread* owner, int ncpus) {
    if (owner != last_owner) {
      last_owner = owner;
      backoff = next_lock_backoff(backoff, ncpus);
      ++changes;
    }
    if (changes >= ncpus) {
      backoff = next_lock_backoff(0, ncpus);
      changes = 0;
    }
  }
};

double KMutex::delay_s(const Kthread& t, uint32_t backoff) const {
  if (costs().backoff_unit_ns <= 0) return 0;
  // default_lock_delay: uniform in [base, backoff] steps.
  double steps = 1;
  if (backoff > 1)
    steps += std::min<double>(backoff - 1, std::floor(costs().rng->uniform01() * backoff));
  return steps * costs().backoff_unit_ns * 1e-9 / t.disp_->cpu_speed;
}

void KMutex::advance(Spinner& s, double now, const Kthread* owner) {
  if (s.next_look >= now) return;
  s.has_copy = true;
  s.look(owner, s.t->disp_->ncpus());
  s.next_look += delay_s(*s.t, s.backoff);
  if (s.next_look >= now) return;
  // Every later look before `now` sees the same owner: the backoff stays.
  double unit_s = costs().backoff_unit_ns * 1e-9 / s.t->disp_->cpu_speed;
  if (unit_s <= 0) {  // free delays: it looks again the instant the lock is free
    s.next_look = now;
    return;
  }
  if (s.backoff == 1) {  // one step between looks: no draw, the phase is known
    s.next_look += std::ceil((now - s.next_look) / unit_s) * unit_s;
    return;
  }
  double b = s.backoff;
  if (now - s.next_look > kMixingDelays * (b + 1) / 2 * unit_s) {
    // Stationary residual of delays uniform on {1..b} steps: the delay
    // covering `now` is length-biased, P(k) = 2k / (b (b + 1)), and `now`
    // falls uniformly inside it. The phase within a step is taken as
    // forgotten too, as it is on hardware, where steps vary in length.
    double v = costs().rng->uniform01() * b * (b + 1);
    double k = std::clamp(std::ceil((std::sqrt(1 + 4 * v) - 1) / 2), 1.0, b);
    s.next_look = now + costs().rng->uniform01() * k * unit_s;
    return;
  }
  while (s.next_look < now) s.next_look += delay_s(*s.t, s.backoff);
}

void KMutex::take(Kthread& t, LockSite site) {
  owner_ = &t;
  site_ = site;
  acquired_at_ = SimEngine::now();
  t.held_.push_back(this);
}

void KMutex::stop_spinning(Spinner& s) {
  spinners_.erase(std::find(spinners_.begin(), spinners_.end(), &s));
  s.spun_s += SimEngine::now() - s.t->spin_since_;
  stats().spin_cpu_s += window_overlap(s.t->disp_->probes(), s.t->spin_since_, SimEngine::now());
  s.t->state_ = Kthread::State::OnCpu;
}

Co<void> KMutex::enter(Kthread& t, LockSite site) {
  co_await t.flush();
  if (owner_ == &t) throw std::logic_error("mutex entered twice by its owner");
  double start = SimEngine::now();
  Probes& pr = t.dispatcher().probes();
  bool counted = pr.in_window(start);
  if (counted) ++stats().acquisitions;
  if (owner_ == nullptr) {  // mutex_enter's inline cas
    take(t, site);
    if (Trace* tr = t.disp_->trace()) tr->lock_hold(t, *this, site, acquired_at_);
    if (counted) add_acquisition(site, false, 0, 0);
    co_return;
  }
  if (counted) ++stats().contended;
  if (Trace* tr = t.disp_->trace()) tr->lock_wait(t, *this);
  Spinner s{&t};
  bool spinning = false;
  for (;;) {
    if (owner_ == nullptr) {
      if (spinning) {  // our look found it free: the cas moves the line here
        stop_spinning(s);
        take(t, site);
        co_await t.charge(costs().handoff_ns() + costs().sharer_ns * sharers_);
      } else {  // back from the turnstile with a CPU, and it is free
        take(t, site);
      }
      break;
    }
    if (spinning) s.look(owner_, t.disp_->ncpus());
    s.has_copy = true;
    if (owner_->on_cpu()) {
      if (!spinning) {
        spinning = true;
        t.state_ = Kthread::State::Spinning;
        t.spin_since_ = SimEngine::now();
        spinners_.push_back(&s);
      }
      s.next_look = SimEngine::now() + delay_s(t, s.backoff);
      co_await t.block();
      if (t.state_ == Kthread::State::Spinning) {  // woken for our next look
        s.scheduled = false;
        continue;
      }
      spinning = false;  // the owner left its CPU, we slept, and now run again
    } else {
      if (spinning) {
        spinning = false;
        stop_spinning(s);
      }
      // Queue first: releasing the CPU wakes other threads, and the owner
      // may run and exit the lock before we block; it must find us.
      sleepers_.push_back(&t);
      s.slept_at = SimEngine::now();
      t.dispatcher().release(t, Kthread::State::LockSleep);
      co_await t.block();
    }
    s.block_s += SimEngine::now() - s.slept_at;
    co_await t.flush();  // the dispatch charged a context switch
    s.backoff = next_lock_backoff(0, t.disp_->ncpus());  // reset after the turnstile
  }
  if (Trace* tr = t.disp_->trace()) tr->lock_hold(t, *this, site, acquired_at_);
  if (counted) {
    double w = SimEngine::now() - start;
    stats().wait_sum_s += w;
    stats().wait_max_s = std::max(stats().wait_max_s, w);
    add_acquisition(site, true, s.spun_s, s.block_s);
  }
}

// mutex_vector_enter's LOCKSTAT_RECORDs: a block event for the sleeping,
// a spin event for the spinning net of it (mutex.c, end of
// mutex_vector_enter).
void KMutex::add_acquisition(LockSite site, bool contended, double spin_s, double block_s) {
  LockCallerStats& c = stats().caller(site);
  ++c.acquisitions;
  if (!contended) return;
  ++c.contended;
  if (spin_s > 0) {
    ++c.spin_events;
    c.spin_s += spin_s;
  }
  if (block_s > 0) {
    ++c.block_events;
    c.block_s += block_s;
  }
}

Co<void> KMutex::exit(Kthread& t) {
  co_await t.flush();
  if (owner_ != &t) throw std::logic_error("mutex exited by a thread that does not own it");
  double now = SimEngine::now();
  Dispatcher& d = t.dispatcher();
  add_hold(d.probes(), acquired_at_, now);
  if (Trace* tr = d.trace()) tr->lock_release(t, *this);
  auto& h = t.held_;
  h.erase(std::find(h.begin(), h.end(), this));
  owner_ = nullptr;
  sharers_ = 0;
  if (!spinners_.empty()) {
    // The lock is free until the first spinner looks; that one takes it.
    Spinner* first = nullptr;
    for (Spinner* s : spinners_) {
      if (!s->scheduled) advance(*s, now, &t);
      if (!first || s->next_look < first->next_look) first = s;
    }
    // The store takes the line from every copy; the winner's is not
    // another's, so it does not count against itself.
    for (Spinner* s : spinners_) {
      sharers_ += s->has_copy && s != first;
      s->has_copy = false;
    }
    if (!first->scheduled) {
      first->scheduled = true;
      first->t->wake_at(first->next_look);
    }
  }
  if (sleepers_.empty()) co_return;
  // mutex_vector_exit: every turnstile waiter is woken to race again. Take
  // the list first: each wake lets other threads run, and they may queue on
  // this lock again.
  PtrList<Kthread*> woken;
  woken.swap(sleepers_);
  for (Kthread* w : woken) d.make_runnable(*w);
}

void KMutex::enter_private(Kthread& t, LockSite site) {
  if (owner_ != nullptr || !spinners_.empty() || !sleepers_.empty())
    throw std::logic_error("private entry of a mutex in use");
  double at = t.clock();
  owner_ = &t;
  site_ = site;
  acquired_at_ = at;
  if (Trace* tr = t.disp_->trace()) tr->lock_hold(t, *this, site, at);
  if (t.dispatcher().probes().in_window(at)) {
    ++stats().acquisitions;
    add_acquisition(site, false, 0, 0);
  }
}

void KMutex::exit_private(Kthread& t) {
  if (owner_ != &t) throw std::logic_error("private exit of a mutex not held");
  add_hold(t.dispatcher().probes(), acquired_at_, t.clock());
  if (Trace* tr = t.disp_->trace()) tr->lock_release(t, *this);
  owner_ = nullptr;
}

// Kept current at each release rather than folded in at the end: a compare
// per release costs less than finding every instance when the window
// closes, and a run stopped early needs no extra step.
void KMutex::add_hold(const Probes& pr, double from, double to) {
  double h = window_overlap(pr, from, to);
  stats().hold_sum_s += h;
  hold_s_ += h;
  if (hold_s_ > stats().instance_hold_max_s) stats().instance_hold_max_s = hold_s_;
  // lockstat -H records a hold at its release, whole.
  if (pr.in_window(to)) {
    LockCallerStats& c = stats().caller(site_);
    ++c.hold_events;
    c.hold_s += to - from;
    c.hold_max_s = std::max(c.hold_max_s, to - from);
  }
}

// A spinner notices at its next look; here at once, which keeps the
// dispatcher's side free of lock timing. A spinner whose look is already
// queued finds out then.
void KMutex::owner_off_cpu(Dispatcher& d) {
  if (spinners_.empty()) return;
  double now = SimEngine::now();
  size_t kept = 0, first_asleep = sleepers_.size();
  for (Spinner* s : spinners_) {
    if (s->scheduled) {
      spinners_[kept++] = s;
      continue;
    }
    stats().spin_cpu_s += window_overlap(d.probes(), s->t->spin_since_, now);
    s->spun_s += now - s->t->spin_since_;
    s->slept_at = now;
    sleepers_.push_back(s->t);
  }
  spinners_.resize(kept);
  // Each release below wakes threads, which may touch this lock: copy.
  std::vector<Kthread*> asleep(sleepers_.begin() + first_asleep, sleepers_.end());
  for (Kthread* w : asleep) d.release(*w, Kthread::State::LockSleep);
}

}  // namespace forksim
