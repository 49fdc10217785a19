// holdlwps, stop and continuelwps (lwp.c 1276-1343, 1619-1645; sig.c stop)
// for a forking LWP and the process's other LWPs.
//
// The hold flag (SHOLDFORK for forkall, SHOLDFORK1 for fork1/vfork) is set
// only while the forker waits for the others to stop, and cleared before
// holdlwps returns. The others stay stopped at their hold points until the
// forker's continuelwps (ts_forkret or rt_forkret for fork1/forkall, the end
// of vfwait for vfork). An LWP that enters holdlwps while a forkall's flag
// is up gets EINTR; while a fork1's is up, it stops and forks later.
//
// An LWP doing user-mode work (Kernel::user_work, a service's worker) is
// poked as lwp.c's pokelwps does (an AST and a poke_cpu cross-call): it
// leaves user mode at once, whether on a CPU or preempted, and stops; the
// forker waits for it as for one inside a system call.
//
// Simplification: an LWP the model runs that is asleep in user mode (its
// think time) or in waitid's interruptible sleep counts as stopped as soon
// as it is poked, without taking a CPU for its stop(); it stays stopped
// when its sleep ends during the hold. The LWPs that run no code of their
// own are timed by holdlwps_stop.
#include <algorithm>
#include <cmath>

#include "models/kernel.hpp"
#include "sim/engine.hpp"

namespace forksim {

namespace {
bool erase_one(PtrList<Kthread*>& v, Kthread* t) {
  auto it = std::find(v.begin(), v.end(), t);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

bool held_for(const Proc& p, const Kthread& t) { return p.holder && p.holder != &t; }

int live_threads(const Proc& p) {
  int n = p.thread && p.thread->state() != Kthread::State::Dead ? 1 : 0;
  if (p.others)
    for (const auto& t : p.others->threads) n += t->state() != Kthread::State::Dead;
  return n;
}
}  // namespace

Co<void> Kernel::syscall_enter(Proc& p, Kthread& t) {
  if (p.single_lwp()) co_return;
  co_await t.flush();  // the others read in_kernel and holder at their clocks
  co_await hold_point(p, t);
  p.others->in_kernel.push_back(&t);
}

Co<void> Kernel::syscall_leave(Proc& p, Kthread& t) {
  if (p.single_lwp()) co_return;
  co_await t.flush();
  co_await hold_point(p, t);  // still in the kernel until it has passed the hold point
  erase_one(p.others->in_kernel, &t);
}

// holdlwp() (lwp.c 1243-1269): stop if another LWP holds the process, or
// if a hold under way is waiting for this one.
Co<void> Kernel::hold_point(Proc& p, Kthread& t) {
  if (!held_for(p, t)) co_return;
  co_await p.p_lock.enter(t, lock_site(Step::holdlwps_stop));
  co_await stop_locked(p, t);
  co_await p.p_lock.exit(t);
}

Co<void> Kernel::stop_locked(Proc& p, Kthread& t) {
  OtherLwps& o = p.other_lwps();
  if (erase_one(o.must_stop, &t) && --p.lwprcnt == 0) {
    co_await t.flush();
    o.p_holdlwps.broadcast(disp_);  // sig.c 1162-1163: the forker is woken by the last one
  }
  bool was_in = erase_one(o.in_kernel, &t);  // stopped: no hold waits for it
  while (held_for(p, t)) co_await o.stopped_cv.wait(t, p.p_lock);
  if (was_in) o.in_kernel.push_back(&t);
}

Co<bool> Kernel::holdlwps(Proc& p, Kthread& t, uint32_t holdflag) {
  co_await own_enter(p.p_lock, p, t, Step::holdlwps);
  co_await charge(t, Step::holdlwps);
  while (p.flags & (SEXITLWPS | SHOLDFORK | SHOLDFORK1) || held_for(p, t)) {
    if (p.flags & (SEXITLWPS | SHOLDFORK)) {  // 1288-1291: EINTR
      co_await own_exit(p.p_lock, p, t);
      co_return false;
    }
    co_await stop_locked(p, t);  // 1296: stop(PR_SUSPENDED) until continued
  }
  // holder is read outside p_lock (at hold points), so it changes at this
  // thread's clock.
  if (!p.single_lwp()) co_await t.flush();
  p.flags |= holdflag;  // 1298
  p.holder = &t;
  // pokelwps (1299): every other LWP. Those inside a system call must reach
  // a hold point; the rest are stopped at once (the header says why).
  p.lwprcnt = 0;
  if (p.others) {
    OtherLwps& x = *p.others;
    x.must_stop.clear();
    for (Kthread* o : x.in_kernel)
      if (o != &t) x.must_stop.push_back(o);
    for (Kthread* o : x.in_user)
      if (o != &t) x.must_stop.push_back(o);
    p.lwprcnt = static_cast<int>(x.must_stop.size());
  }
  p.held_from_s = SimEngine::now();
  co_await charge(t, Step::holdlwps_poke, p.lwps - 1);
  if (p.others && !p.others->in_user.empty()) {
    co_await t.flush();  // the pokes land once the poking is done
    for (Kthread* o : p.others->in_user)
      if (o != &t) disp_.poke(*o);
  }
  int passive = std::max(0, p.lwps - live_threads(p));
  double stopped_at = 0;
  if (passive > 0) {
    co_await t.flush();
    double rounds = std::ceil(static_cast<double>(passive) / disp_.ncpus());
    stopped_at = SimEngine::now() +
                 costs_.ns(Step::holdlwps_stop, rounds) * 1e-9 / disp_.cpu_speed;
  }
  // 1304-1337: wait, p_lock released, until every other LWP has stopped.
  for (;;) {
    if (p.lwprcnt > 0) {
      co_await p.others->p_holdlwps.wait(t, p.p_lock);  // lwprcnt > 0: others exists
      continue;
    }
    if (passive == 0) break;
    co_await t.flush();
    if (SimEngine::now() >= stopped_at) break;
    co_await own_exit(p.p_lock, p, t);
    co_await t.sleep_until(stopped_at);
    co_await own_enter(p.p_lock, p, t, Step::holdlwps);
  }
  p.flags &= ~holdflag;  // 1339-1340: cleared before holdlwps returns
  co_await own_exit(p.p_lock, p, t);
  co_return true;
}

// 1619-1645, p_lock held: every stopped LWP is set running.
Co<void> Kernel::continuelwps(Proc& p, Kthread& t) {
  if (p.holder != &t) co_return;
  if (p.single_lwp()) {
    p.holder = nullptr;
    co_return;
  }
  co_await t.flush();  // another LWP wakes now, not before our work so far is done
  p.holder = nullptr;
  p.others->stopped_cv.broadcast(disp_);
  if (on_hold_end) on_hold_end(p, p.held_from_s, SimEngine::now());
}

Co<void> Kernel::user_work(Proc& p, Kthread& t, double seconds) {
  if (p.single_lwp()) {  // no other LWP forks: nothing holds it
    co_await disp_.run_user(t, seconds);
    co_return;
  }
  co_await t.flush();  // in_user is read by the forker at its clock
  p.others->in_user.push_back(&t);
  double left = seconds;
  for (;;) {
    co_await user_hold_point(p, t);
    if (left <= 0) break;
    left = co_await disp_.run_user_until_ast(t, left);
  }
  erase_one(p.others->in_user, &t);
}

Co<void> Kernel::user_hold_point(Proc& p, Kthread& t) {
  co_await t.flush();  // the switch of a poked, preempted burst; holder is read now
  t.clear_ast();
  if (!held_for(p, t)) co_return;
  co_await p.p_lock.enter(t, lock_site(Step::holdlwps_stop));
  erase_one(p.others->in_user, &t);  // stopped: a later hold does not wait for it
  co_await charge(t, Step::holdlwps_stop);
  co_await t.flush();
  co_await stop_locked(p, t);
  p.others->in_user.push_back(&t);
  co_await p.p_lock.exit(t);
}

}  // namespace forksim
