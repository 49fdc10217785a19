// cfork(), fork.c lines 151-673: fork1/forkx, forkall and vfork, with
// their failure paths. Each block names the seed lines it stands for.
#include <algorithm>
#include <stdexcept>

#include "models/kernel.hpp"
#include "sim/engine.hpp"
#include "sim/trace.hpp"

namespace forksim {

// forkerr (671-672): the errno goes back to the caller.
Co<ForkResult> Kernel::fork_error(Proc& p, Kthread& t, Err e, FailReason why) {
  co_await charge(t, Step::forkerr);
  co_await charge(t, Step::syscall_return);
  co_await t.flush();
  co_await syscall_leave(p, t);
  co_await disp_.trap_return(t);
  ForkResult r;
  r.err = e;
  r.reason = why;
  note_failure(r);
  if (Trace* tr = disp_.trace()) tr->fork_return(t, {err_name(e), reason_name(why), -1});
  co_return r;
}

Co<ForkResult> Kernel::forksys(Proc& p, Kthread& t, int subcode, int flags) {
  switch (subcode) {  // 134-148
    case 0: co_return co_await cfork(p, t, ForkPath::Fork1, flags);
    case 1: co_return co_await cfork(p, t, ForkPath::Forkall, flags);
    case 2: co_return co_await cfork(p, t, ForkPath::Vfork, flags);
    default: break;
  }
  co_await charge(t, Step::syscall_entry);
  co_await charge(t, Step::forksys_einval);
  co_await charge(t, Step::syscall_return);
  co_await t.flush();
  co_return ForkResult{Err::EINVAL_, FailReason::BadCall, nullptr};
}

// The fork in two frames: cfork_start's (about 1 KiB: GCC gives each of
// its ~70 co_awaits a slot of its own) ends before the parent's long waits
// (a TS parent queued behind its child at forkret, a vfork parent in
// vfwait), which cfork_return's small frame waits in. A fork bomb's
// parents all wait there at once, so that cut its frames per process by
// more than half. The order of operations is cfork's, unchanged.
Co<ForkResult> Kernel::cfork(Proc& p, Kthread& t, ForkPath path, int flags) {
  ForkResult r = co_await cfork_start(p, t, path, flags);
  if (r.err == Err::Ok) co_await cfork_return(p, t, path, *r.child);
  co_return r;
}

Co<ForkResult> Kernel::cfork_start(Proc& p, Kthread& t, ForkPath path, int flags) {
  bool isvfork = path == ForkPath::Vfork;
  bool isfork1 = path != ForkPath::Forkall;
  if (Trace* tr = disp_.trace()) tr->fork_entry(t, path_name(path));

  co_await syscall_enter(p, t);
  co_await charge(t, Step::syscall_entry);
  co_await charge(t, Step::check_flags);  // 173-187
  if ((flags & ~(FORK_NOSIGCHLD | FORK_WAITPID)) != 0)
    co_return co_await fork_error(p, t, Err::EINVAL_, FailReason::BadCall);

  // 198-202
  if (!co_await holdlwps(p, t, isfork1 ? SHOLDFORK1 : SHOLDFORK))
    co_return co_await fork_error(p, t, Err::EINTR_, FailReason::Interrupted);

  // 212-225
  co_await own_section(p.p_lock, p, t, Step::pool_barrier_enter);

  // 230-237
  FailReason why = FailReason::None;
  Proc* cp = co_await getproc(p, t, &why);
  if (!cp) {
    co_await own_enter(p.p_lock, p, t, Step::cfork_getproc_fail);
    co_await charge(t, Step::cfork_getproc_fail);
    co_await continuelwps(p, t);
    co_await own_exit(p.p_lock, p, t);
    co_return co_await fork_error(p, t, Err::EAGAIN_, why);
  }
  cp->nosigchld = flags & FORK_NOSIGCHLD;

  if (isvfork) {
    // 244-260: the child borrows the address space; nothing reserved.
    co_await charge(t, Step::vfork_share_as);
    cp->flags |= SVFORK;
    cp->vfwaited = true;
    cp->reserved_mb = 0;
  } else {
    // 269-272
    co_await own_enter(p.p_lock, p, t, Step::as_dup_prlock);
    co_await charge(t, Step::as_dup_prlock);
    // SFORKING and P_PR_LOCK are set here; nothing in the model waits on
    // them (no /proc or DTrace activity), so they are not kept.
    co_await own_exit(p.p_lock, p, t);
    // 274: as_dup. segvn_dup reserves swap for the whole private writable
    // size first (anon_resv), then duplicates the anon maps and
    // write-protects every resident page: the reservation follows the
    // private size, the per-page cost the resident pages.
    co_await own_enter(p.as_lock, p, t, Step::as_dup);
    co_await charge(t, Step::as_dup);
    co_await t.flush();
    bool reserved = swap_.reserve(p.private_mb, p.privileged);
    if (reserved) {
      cp->reserved_mb = p.private_mb;
      probes_.reserved_mb = swap_.reserved_mb();
      probes_.reserved_max_mb = std::max(probes_.reserved_max_mb, probes_.reserved_mb);
      co_await charge(t, Step::as_dup_page, p.resident_mb * kPagesPerMb);
      // p's other LWPs write its pages too: its protection changes at this
      // thread's clock for them only after a flush.
      if (!p.single_lwp()) co_await t.flush();
      protect_after_dup(p, *cp, path, t.clock());
    }
    co_await own_exit(p.as_lock, p, t);
    if (!reserved) {
      // 275-310: undo getproc, no backoff; ENOMEM is kept.
      co_await own_section(p.p_lock, p, t, Step::as_dup_fail);  // sprunlock
      co_await fork_fail(*cp, t);
      co_await unlink_failed_child(*cp, t);
      co_await own_enter(p.p_lock, p, t, Step::as_dup_fail);
      co_await continuelwps(p, t);
      co_await own_exit(p.p_lock, p, t);
      co_return co_await fork_error(p, t, Err::ENOMEM_, FailReason::SwapReservation);
    }
    // 313-340
    co_await own_section(p.p_lock, p, t, Step::as_dup_done);
  }

  // 346-361
  co_await own_section(p.rcs_lock, p, t, Step::rctl_dup);

  // 366-376
  co_await charge(t, Step::lwpdir_alloc);

  // 384-436: clone the calling LWP, or every LWP for forkall. Each clone
  // counts against the zone's LWP limit under zone_nlwps_lock, then
  // lwp_create's thread_create takes pidlock (lwp.c, thread.c).
  int to_clone = isfork1 ? 1 : p.lwps;
  long limit = cfg_.tunables.zone_max_lwps;  // 0: none
  for (int i = 0; i < to_clone; ++i) {
    co_await zone_nlwps_lock_.enter(t, lock_site(Step::thread_create));
    bool over = limit > 0 && zone_nlwps_ + 1 > limit;
    if (!over) ++zone_nlwps_;
    co_await zone_nlwps_lock_.exit(t);
    if (over) {
      co_await forklwperr(p, *cp, t, i, path);
      co_return co_await fork_error(p, t, Err::EAGAIN_, FailReason::LwpLimit);
    }
    co_await pidlock_.enter(t, lock_site(Step::thread_create));
    co_await charge(t, Step::thread_create);
    co_await pidlock_.exit(t);
    co_await charge(t, Step::forklwp);
  }
  cp->lwps = to_clone;

  // 444-445: fails only for a SIGKILLed parent, which no workload sends.
  co_await ct_lock_.enter(t, lock_site(Step::contract_fork));
  co_await charge(t, Step::contract_fork);
  co_await ct_lock_.exit(t);

  // 451-515
  co_await own_section(p.p_lock, p, t, Step::fork_finish);
  // 523-525
  co_await own_section(p.p_lock, p, t, Step::pool_barrier_exit);

  // 527-564: the child joins the process group and is marked runnable.
  co_await pidlock_.enter(t, lock_site(Step::fork_publish));
  co_await own_enter(cp->p_lock, *cp, t, Step::fork_publish);
  co_await charge(t, Step::fork_publish);
  co_await charge(t, Step::fork_publish_lwp, cp->lwps);
  cp->stat = Proc::Stat::Run;
  co_await own_exit(cp->p_lock, *cp, t);
  make_thread(*cp).inherit_class(t);  // ts_fork/rt_fork ran in forklwp: the class's state

  if (isvfork) {
    // 566-582
    co_await p.p_lock.enter(t, lock_site(Step::vfork_start));  // not own_enter: SVFWAIT changes inside
    co_await charge(t, Step::vfork_start);
    p.flags |= SVFWAIT;
    co_await p.p_lock.exit(t);
    co_await own_enter(cp->p_lock, *cp, t, Step::vfork_setrun);
    co_await pidlock_.exit(t);
    co_await charge(t, Step::vfork_setrun);  // sigdefault, continuelwps(cp)
    co_await set_child_running(p, *cp, t);
    co_await own_exit(cp->p_lock, *cp, t);
    co_await charge(t, Step::syscall_return);
  } else {
    // 583-594: CL_FORKRET. ts.c ts_forkret sets the child running under its
    // p_lock with pidlock held, then takes the parent's p_lock, drops
    // pidlock and restarts the parent's other LWPs; rt.c rt_forkret drops
    // pidlock as soon as it has the child's p_lock.
    const bool rt = t.sched_class() == SchedClass::RT;
    co_await own_enter(cp->p_lock, *cp, t, Step::forkret);
    if (rt) co_await pidlock_.exit(t);
    co_await charge(t, Step::forkret);
    co_await set_child_running(p, *cp, t);
    co_await own_exit(cp->p_lock, *cp, t);
    co_await own_enter(p.p_lock, p, t, Step::forkret_parent);
    if (!rt) co_await pidlock_.exit(t);
    co_await charge(t, Step::forkret_parent);
    co_await continuelwps(p, t);
    co_await own_exit(p.p_lock, p, t);
  }
  ForkResult ok;
  ok.child = cp;
  co_return ok;
}

Co<void> Kernel::cfork_return(Proc& p, Kthread& t, ForkPath path, Proc& cp) {
  if (path == ForkPath::Vfork) {
    co_await vfwait(p, cp, t);  // post_syscall: t_post_sys was set by forksys
  } else {
    // ts.c ts_forkret: the parent drops to ts_tqexp and switches, so that
    // the child (at the parent's old level) runs first. RT: keeps running.
    // Dispatcher::forkret's steps, awaited here: a fork bomb's parents all
    // wait in this frame, and forkret's would be one more each.
    if (t.sched_class() == SchedClass::TS) {
      co_await t.flush();
      if (disp_.ts_forkret(t)) co_await t.block();
    }
    co_await charge(t, Step::syscall_return);
    co_await t.flush();
  }
  co_await syscall_leave(p, t);
  co_await disp_.trap_return(t);  // back to user mode: preempted if cpu_runrun
  if (Trace* tr = disp_.trace())
    tr->fork_return(t, {err_name(Err::Ok), reason_name(FailReason::None), cp.pid});
}

// continuelwps(cp): the child may run, and from now on may take its
// parent's p_lock (post_sigcld).
Co<void> Kernel::set_child_running(Proc& p, Proc& cp, Kthread& t) {
  co_await t.flush();
  if (on_child) on_child(cp);
  if (Trace* tr = disp_.trace()) tr->fork_child(t, *cp.thread);
  disp_.make_runnable(*cp.thread);
  ++p.running_children;
}

// fork_fail(), 678-706: the upcount taken in getproc goes back (nproc goes
// back later, in pid_exit). Its other work is done outside pidlock.
Co<void> Kernel::fork_fail(Proc& cp, Kthread& t) {
  co_await charge(t, Step::fork_fail);
  co_await pidlock_.enter(t, lock_site(Step::fork_fail));
  table_.upcount_dec(cp.uid);
  co_await pidlock_.exit(t);
}

// The unlinking both error paths share (279-297, 639-662): detach from the
// task, unlink from the parent, pid_exit.
Co<void> Kernel::unlink_failed_child(Proc& cp, Kthread& t) {
  co_await pidlock_.enter(t, lock_site(Step::fail_unlink));
  co_await charge(t, Step::fail_unlink);
  co_await own_enter(cp.p_lock, cp, t, Step::fail_unlink);
  co_await own_exit(cp.p_lock, cp, t);
  unlink_child(cp);
  co_await pidlinklock_.enter(t, lock_site(Step::fail_unlink));  // pid_exit -> proc_entry_free, pid_rele
  table_.pid_free(cp.pid);
  co_await pidlinklock_.exit(t);
  // pid_exit's nproc--: the upcount already went back in fork_fail.
  table_.nproc_dec_only();
  --live_procs_;
  co_await pidlock_.exit(t);
  if (cp.reserved_mb > 0) {
    swap_.unreserve(cp.reserved_mb);
    cp.reserved_mb = 0;
    probes_.reserved_mb = swap_.reserved_mb();
  }
  free_proc(&cp);
}

// forklwperr, 598-670: free the address space copy and the LWPs cloned so
// far, give back what getproc took, no backoff.
Co<void> Kernel::forklwperr(Proc& p, Proc& cp, Kthread& t, int lwps_cloned, ForkPath path) {
  co_await charge(t, Step::forklwperr);
  if (path != ForkPath::Vfork) {
    co_await charge(t, Step::forklwperr_page, cp.resident_mb * kPagesPerMb);  // as_free
    if (!p.single_lwp()) co_await t.flush();  // p's sharers, read by its other LWPs
    release_cow(cp, t.clock());
  }
  for (int i = 0; i < lwps_cloned; ++i) {  // forklwp_fail, 721-776
    co_await zone_nlwps_lock_.enter(t, lock_site(Step::forklwp_fail_lwp));
    --zone_nlwps_;
    co_await zone_nlwps_lock_.exit(t);
    co_await pidlock_.enter(t, lock_site(Step::forklwp_fail_lwp));  // 752-757: off the all-threads list
    co_await charge(t, Step::forklwp_fail_lwp);
    co_await pidlock_.exit(t);
    co_await pidlock_.enter(t, lock_site(Step::forklwp_fail_free));  // 775: thread_free, nthread--
    co_await charge(t, Step::forklwp_fail_free);
    co_await pidlock_.exit(t);
  }
  co_await fork_fail(cp, t);
  co_await unlink_failed_child(cp, t);
  co_await own_enter(p.p_lock, p, t, Step::forklwperr);
  co_await continuelwps(p, t);
  co_await own_exit(p.p_lock, p, t);
}

}  // namespace forksim
