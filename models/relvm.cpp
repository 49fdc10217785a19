// relvm() and vfwait(), fork.c lines 1199-1387: a vfork child gives its
// parent's address space back; a forked child frees its own copy.
#include "models/kernel.hpp"

namespace forksim {

Co<void> Kernel::relvm(Proc& p, Kthread& t) {
  if (p.flags & SVFORK) {
    // 1230-1280: child's p_lock first, then the parent's; clear SVFORK and
    // wake the parent in vfwait.
    Proc& pp = *p.parent;
    co_await p.p_lock.enter(t, lock_site(Step::exec_relvm_vfork));
    co_await pp.p_lock.enter(t, lock_site(Step::exec_relvm_vfork));
    co_await charge(t, Step::exec_relvm_vfork);
    co_await t.flush();
    p.flags &= ~SVFORK;
    pp.flags &= ~SVFWAIT;
    p.has_as = false;
    pp.p_cv.broadcast(disp_);  // cv_signal(&pp->p_cv)
    co_await pp.p_lock.exit(t);
    co_await p.p_lock.exit(t);
    co_return;
  }
  if (!p.has_as) co_return;
  // 1281-1306: p_lock only around the pointer swap; as_free outside it.
  co_await own_enter(p.p_lock, p, t, Step::exec_relvm);
  p.has_as = false;
  co_await own_exit(p.p_lock, p, t);
  co_await charge(t, Step::exec_relvm);
  co_await charge(t, Step::as_free_page, p.resident_mb * kPagesPerMb);
  co_await t.flush();
  release_cow(p, SimEngine::now());
  swap_.unreserve(p.reserved_mb);
  p.reserved_mb = 0;
  probes_.reserved_mb = swap_.reserved_mb();
}

// 1316-1387: wait for the child to exec or exit, re-checking under pidlock
// and the child's p_lock after every wake-up.
Co<void> Kernel::vfwait(Proc& pp, Proc& cp, Kthread& t) {
  for (;;) {
    co_await pidlock_.enter(t, lock_site(Step::vfwait));
    co_await charge(t, Step::vfwait);
    // prfind: a child that has exited and been reaped is gone; our own
    // child cannot be reaped before we return, so it is always found.
    co_await cp.p_lock.enter(t, lock_site(Step::vfwait));
    co_await pidlock_.exit(t);
    if (!(cp.flags & SVFORK)) {
      co_await cp.p_lock.exit(t);
      cp.vfwaited = false;  // after the exit's flush: at this thread's clock
      break;
    }
    co_await pp.p_lock.enter(t, lock_site(Step::vfwait));
    co_await cp.p_lock.exit(t);
    co_await pp.p_cv.wait(t, pp.p_lock);
    co_await pp.p_lock.exit(t);
  }
  co_await pp.p_lock.enter(t, lock_site(Step::vfwait));  // 1383-1386
  co_await continuelwps(pp, t);
  co_await pp.p_lock.exit(t);
  co_await t.flush();
}

}  // namespace forksim
