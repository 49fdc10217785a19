// relvm() and vfwait(), fork.c lines 1199-1387: a vfork child gives its
// parent's address space back; a forked child frees its own copy.
#include "models/kernel.hpp"

namespace forksim {

namespace {
constexpr double kPagesPerMb = 256.0;
}

void Kernel::relvm(Proc& p, Kthread& t) {
  if (p.flags & SVFORK) {
    // 1230-1280: child's p_lock first, then the parent's; clear SVFORK and
    // wake the parent in vfwait.
    Proc& pp = *p.parent;
    p.p_lock.enter(t);
    pp.p_lock.enter(t);
    charge(t, Step::exec_relvm_vfork);
    t.flush();
    p.flags &= ~SVFORK;
    pp.flags &= ~SVFWAIT;
    p.has_as = false;
    pp.p_cv.broadcast(disp_);  // cv_signal(&pp->p_cv)
    pp.p_lock.exit(t);
    p.p_lock.exit(t);
    return;
  }
  if (!p.has_as) return;
  // 1281-1306: p_lock only around the pointer swap; as_free outside it.
  own_enter(p.p_lock, p, t);
  p.has_as = false;
  own_exit(p.p_lock, p, t);
  charge(t, Step::exec_relvm);
  charge(t, Step::as_free_page, p.writable_mb * kPagesPerMb);
  t.flush();
  swap_.unreserve(p.reserved_mb);
  p.reserved_mb = 0;
  probes_.reserved_mb = swap_.reserved_mb();
}

// 1316-1387: wait for the child to exec or exit, re-checking under pidlock
// and the child's p_lock after every wake-up.
void Kernel::vfwait(Proc& pp, Proc& cp, Kthread& t) {
  for (;;) {
    pidlock_.enter(t);
    charge(t, Step::vfwait);
    // prfind: a child that has exited and been reaped is gone; our own
    // child cannot be reaped before we return, so it is always found.
    cp.p_lock.enter(t);
    pidlock_.exit(t);
    if (!(cp.flags & SVFORK)) {
      cp.p_lock.exit(t);
      break;
    }
    pp.p_lock.enter(t);
    cp.p_lock.exit(t);
    pp.p_cv.wait(t, pp.p_lock);
    pp.p_lock.exit(t);
  }
  pp.p_lock.enter(t);  // 1383-1386
  continuelwps(pp, t);
  pp.p_lock.exit(t);
  t.flush();
}

}  // namespace forksim
