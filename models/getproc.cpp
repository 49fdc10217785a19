// getproc(), fork.c lines 921-1197: a child proc_t, its pid and slot, the
// per-user limit, and the failure backoff.
#include <algorithm>

#include "models/kernel.hpp"
#include "sim/engine.hpp"

namespace forksim {

Co<Proc*> Kernel::getproc(Proc& pp, Kthread& t, FailReason* why) {
  // The seed's g1, page_mem_avail (932-933), is gone from illumos since
  // 4244 (2013): getproc makes no free-memory check. g2 (934-935):
  co_await charge(t, Step::zone_status);  // the zone is never shutting down here

  // g3 (938-961)
  co_await charge(t, Step::proc_alloc);

  // g4 (963-969): pidlinklock, not pidlock (pid.c).
  co_await pidlinklock_.enter(t, lock_site(Step::pid_allocate));
  // Taken here, at this thread's clock (the lock flushed its work): which
  // freed proc can be reused depends on whether its old thread is dead yet.
  Proc* cp = alloc_proc();
  int probes = 0;
  int pid = table_.pid_allocate(&probes);
  co_await charge(t, Step::pid_allocate);
  co_await charge(t, Step::pid_probe, probes);
  co_await pidlinklock_.exit(t);

  bool failed = pid < 0;
  if (failed) {
    *why = FailReason::OutOfProcs;
    if (table_.nproc() >= table_.v_proc()) co_await charge(t, Step::out_of_procs);  // 964-967
  } else {
    cp->pid = pid;
    // g5 (976-989): the per-user check exactly as the seed writes it.
    co_await pidlock_.enter(t, lock_site(Step::getproc_limit_check));
    co_await charge(t, Step::getproc_limit_check);
    int nproc = table_.nproc();
    if (nproc >= v_maxup_ &&
        (nproc >= v_maxupttl_ || table_.upcount(pp.uid) >= v_maxup_) && !pp.privileged) {
      co_await pidlock_.exit(t);
      co_await charge(t, Step::getproc_limit_fail);  // zcmn_err, 986-988
      *why = FailReason::PerUser;
      failed = true;
    }
  }

  if (failed) {
    // bad: (1168-1181): pidlinklock only for a pid that was allocated.
    if (pid >= 0) {
      co_await pidlinklock_.enter(t, lock_site(Step::getproc_undo));
      co_await charge(t, Step::getproc_undo);
      table_.pid_free(pid);
      co_await pidlinklock_.exit(t);
    } else {
      co_await charge(t, Step::getproc_undo);
    }
    free_proc(cp);
    co_await getproc_backoff(t);
    co_return nullptr;
  }

  // 996-1091, still under pidlock: nproc, upcount, practive, links.
  table_.nproc_inc(pp.uid);
  co_await charge(t, Step::getproc_link);
  cp->uid = pp.uid;
  cp->privileged = pp.privileged;
  cp->open_files = pp.open_files;
  cp->private_mb = pp.private_mb;
  cp->resident_mb = pp.resident_mb;
  cp->role = pp.role;
  cp->group = pp.group;
  link_child(pp, *cp);
  ++live_procs_;
  co_await own_enter(pp.p_lock, pp, t, Step::getproc_link);  // 1071-1079: pool reference
  co_await own_exit(pp.p_lock, pp, t);
  co_await own_enter(cp->p_lock, *cp, t, Step::getproc_link);  // 1085-1090: task_attach; nobody knows cp yet
  co_await own_exit(cp->p_lock, *cp, t);
  co_await pidlock_.exit(t);

  // g6 (1093-1165)
  co_await charge(t, Step::getproc_copy);
  co_await charge(t, Step::getproc_file, pp.open_files);
  co_return cp;
}

// 1182-1194: "no more than one fork failure per cpu per clock tick on
// average (yes, I just made this up)". The scenario's kernel.fork_backoff
// may swap the delay for a control arm (models/variants.hpp).
Co<void> Kernel::getproc_backoff(Kthread& t) {
  const ForkBackoff& variant = cfg_.kernel.fork_backoff;
  if (variant.kind == ForkBackoff::Kind::None) {
    // Fails at once: none of 1182-1196 runs, so nothing is pending.
    if (probes_.in_window(SimEngine::now())) ++probes_.backoff.failures;
    co_return;
  }
  co_await pidlock_.enter(t, lock_site(Step::backoff_enter));  // INCR_COUNT
  co_await charge(t, Step::backoff_enter);
  ++fork_fail_pending_;
  probes_.backoff.fork_fail_pending_max =
      std::max(probes_.backoff.fork_fail_pending_max, fork_fail_pending_);
  co_await pidlock_.exit(t);

  // delay() reads fork_fail_pending without the lock, after the increment.
  long ticks = backoff_ticks(variant, fork_fail_pending_, cfg_.machine.ncpus);
  co_await charge(t, Step::backoff_delay);
  co_await t.flush();
  double start = SimEngine::now();
  double wake = tick_after(start, cfg_.machine.hz, ticks);
  co_await t.sleep_until(wake);
  // Counted when the delay ends, as the failed call's return is.
  if (probes_.in_window(wake)) {
    ++probes_.backoff.failures;
    ++probes_.backoff.delays;
    probes_.backoff.delay_total_s += wake - start;  // the sleep, not the wait for a CPU after it
  }

  co_await pidlock_.enter(t, lock_site(Step::backoff_exit));  // DECR_COUNT
  co_await charge(t, Step::backoff_exit);
  --fork_fail_pending_;
  co_await pidlock_.exit(t);
}

}  // namespace forksim
