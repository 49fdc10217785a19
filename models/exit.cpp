// exec, exit and wait, from outside the seed (exec.c, exit.c), as much as
// the fork model needs: the address space released (relvm), proc_exit under
// pidlock, the zombie reaped by the parent's wait, freeproc.
#include <algorithm>

#include "models/kernel.hpp"
#include "sim/engine.hpp"

namespace forksim {

// exec.c's order: everything that reads the file or the old address space
// (the lookup, the open, the header, the arguments, copied out of a vfork
// child's borrowed address space) comes before exec_args calls relvm(), so
// a vfork parent waits for all of it; the new address space and the
// image's mappings come after.
Co<Err> Kernel::exec(Proc& p, double image_reserved_mb, double image_resident_mb) {
  Kthread& t = *p.thread;  // exec runs in a single-threaded child
  co_await charge(t, Step::exec_lookup);
  co_await charge(t, Step::exec_open);
  co_await charge(t, Step::exec_header);
  co_await charge(t, Step::exec_args);
  co_await relvm(p, t);
  co_await charge(t, Step::exec_new_as);
  co_await charge(t, Step::exec_load);
  co_await t.flush();
  // The new image's private writable segments are reserved as mapelfexec
  // maps them; without the room exec fails past relvm, which is fatal: the
  // process must exit.
  if (!swap_.reserve(image_reserved_mb, p.privileged)) co_return Err::ENOMEM_;
  p.reserved_mb = image_reserved_mb;
  p.private_mb = image_reserved_mb;
  p.resident_mb = image_resident_mb;
  p.has_as = true;
  probes_.reserved_mb = swap_.reserved_mb();
  probes_.reserved_max_mb = std::max(probes_.reserved_max_mb, probes_.reserved_mb);
  co_await charge(t, Step::exec_finish);
  co_return Err::Ok;
}

// proc_exit's lock sections in the kernel's order: exitlwps (a forkall
// child's other LWPs run lwp_exit), relvm, the contract (ct_lock, outside
// pidlock), then pidlock across the reparenting, the zombie's p_lock with
// zone_nlwps_lock inside it, and sigcld with the parent's p_lock inside
// (post_sigcld). The last LWP's thread_exit takes pidlock once more.
Co<void> Kernel::exit_proc(Proc& p, Kthread& t) {
  co_await own_enter(p.p_lock, p, t, Step::exit_prepare);
  p.flags |= SEXITLWPS;
  co_await own_exit(p.p_lock, p, t);
  // The other LWPs have no code of their own: the exiting thread charges
  // their lwp_exit sections. (A workload parent's forking LWPs that left
  // before are counted here too: the drain only.)
  int others = p.lwps - 1;
  for (int i = 0; i < others; ++i) {
    co_await own_enter(p.p_lock, p, t, Step::lwp_exit);  // 969-973
    co_await zone_nlwps_lock_.enter(t, lock_site(Step::lwp_exit));
    --zone_nlwps_;
    co_await zone_nlwps_lock_.exit(t);
    co_await own_exit(p.p_lock, p, t);
    co_await pidlock_.enter(t, lock_site(Step::lwp_exit));  // 1054-1061
    co_await charge(t, Step::lwp_exit);
    co_await pidlock_.exit(t);
  }
  p.lwps = 1;
  if (others > 0) reapq_add(others);  // after pidlock's exit: at this thread's clock
  co_await charge(t, Step::exit_prepare);
  co_await charge(t, Step::exit_file, p.open_files);
  co_await relvm(p, t);

  co_await ct_lock_.enter(t, lock_site(Step::contract_exit));  // contract_process_exit
  co_await charge(t, Step::contract_exit);
  co_await own_enter(p.p_lock, p, t, Step::contract_exit);
  co_await own_exit(p.p_lock, p, t);
  co_await ct_lock_.exit(t);

  co_await pidlock_.enter(t, lock_site(Step::exit_proc));
  co_await charge(t, Step::exit_proc);
  co_await charge(t, Step::exit_reparent, p.nchildren);
  co_await t.flush();
  // Children go to init, which reaps the zombies among them (init's CPU is
  // not modelled); the living ones it reaps when they exit.
  p.zombies.clear();
  while (Proc* c = p.child) {
    if (c->stat == Proc::Stat::Run) --p.running_children;
    unlink_child(*c);
    if (c->stat == Proc::Stat::Zomb) co_await freeproc(*c, t);
  }
  co_await own_enter(p.p_lock, p, t, Step::exit_zombie);  // 724-858
  co_await charge(t, Step::exit_zombie);
  co_await zone_nlwps_lock_.enter(t, lock_site(Step::exit_zombie));  // 799-803
  --zone_nlwps_;
  co_await zone_nlwps_lock_.exit(t);
  p.stat = Proc::Stat::Zomb;
  co_await own_exit(p.p_lock, p, t);
  if (Proc* pp = p.parent) {
    co_await charge(t, Step::sigcld);
    co_await t.flush();
    pp->zombies.push_back(&p);  // stays linked until reaped
    pp->p_cv.broadcast(disp_);  // wakes the parent's waitid, pidlock still held
    if (!p.nosigchld) {
      // Not own_enter: this is the parent's lock, which the parent does
      // not take privately while this child runs.
      co_await pp->p_lock.enter(t, lock_site(Step::post_sigcld));
      co_await charge(t, Step::post_sigcld);
      co_await pp->p_lock.exit(t);
    }
    --pp->running_children;
    co_await pidlock_.exit(t);
  } else {
    co_await freeproc(p, t);  // a parent outside the model (init) reaps it at once
    co_await pidlock_.exit(t);
  }
  co_await pidlock_.enter(t, lock_site(Step::thread_exit));  // thread_exit
  co_await charge(t, Step::thread_exit);
  co_await pidlock_.exit(t);
  reapq_add(1);
  co_await disp_.exit_thread(t);  // swtch() for the last time: touch nothing after
}

// waitid: reap under pidlock; then the reaped child's SIGCLD goes under
// the parent's p_lock and sigcld_repost takes pidlock again (exit.c
// 1024-1034).
Co<void> Kernel::wait_child(Proc& p, Kthread& t) {
  co_await syscall_enter(p, t);
  co_await pidlock_.enter(t, lock_site(Step::wait_reap));
  for (;;) {
    if (p.holder && p.holder != &t) {  // stopped in cv_wait_sig's issig, pidlock released
      co_await pidlock_.exit(t);
      co_await hold_point(p, t);
      co_await pidlock_.enter(t, lock_site(Step::wait_reap));
      continue;
    }
    if (!p.zombies.empty()) break;
    // An interruptible sleep: a hold counts this LWP as stopped meanwhile.
    PtrList<Kthread*>* ik = p.others ? &p.others->in_kernel : nullptr;
    bool in = ik && std::find(ik->begin(), ik->end(), &t) != ik->end();
    if (in) ik->erase(std::find(ik->begin(), ik->end(), &t));
    co_await p.p_cv.wait(t, pidlock_);
    if (in) ik->push_back(&t);
  }
  co_await charge(t, Step::wait_reap);
  Proc* z = p.zombies.front();
  p.zombies.erase(p.zombies.begin());
  unlink_child(*z);
  co_await charge(t, Step::freeproc);
  co_await freeproc(*z, t);
  co_await pidlock_.exit(t);
  co_await own_section(p.p_lock, p, t, Step::sigcld_delete);
  co_await pidlock_.enter(t, lock_site(Step::sigcld_repost));
  co_await charge(t, Step::sigcld_repost);
  co_await pidlock_.exit(t);
  co_await syscall_leave(p, t);
  co_await disp_.trap_return(t);
}

// thread_reaper: once more than reaplimit threads are dead it frees them
// all, each thread_free taking pidlock, then delay(hz)s; it reaps again
// after the delay while any are left.
void Kernel::reapq_add(int n) {
  deathrow_ += n;
  constexpr int kReaplimit = 16;  // thread.c:96
  if (deathrow_ > kReaplimit && !reaper_busy_) {
    reaper_busy_ = true;
    spawn(reaper());
  }
}

Co<void> Kernel::reaper() {
  if (!reaper_thread_) reaper_thread_ = std::make_unique<Kthread>(disp_, next_thread_id_++);
  Kthread& t = *reaper_thread_;
  co_await disp_.run(t);  // a SYS thread (minclsyspri)
  co_await t.flush();  // the dispatch's context switch: deathrow_ is read at this clock
  while (deathrow_ > 0) {
    int n = deathrow_;
    deathrow_ = 0;
    co_await charge(t, Step::reaper_pass);
    for (int i = 0; i < n; ++i) {
      co_await charge(t, Step::thread_reap);
      co_await pidlock_.enter(t, lock_site(Step::thread_free));
      co_await charge(t, Step::thread_free);
      co_await pidlock_.exit(t);
    }
    co_await t.flush();
    co_await t.sleep_until(tick_after(SimEngine::now(), cfg_.machine.hz, cfg_.machine.hz));
    co_await t.flush();
  }
  co_await t.flush();
  disp_.release(t);
  reaper_busy_ = false;
}

// Called under pidlock: the slot, the pid (under pidlinklock, as pid_exit
// takes it), nproc and the uid's count go back. Any reservation left (a
// zombie has none) goes too.
Co<void> Kernel::freeproc(Proc& p, Kthread& t) {
  co_await pidlinklock_.enter(t, lock_site(Step::freeproc));
  table_.pid_free(p.pid);
  co_await pidlinklock_.exit(t);
  table_.nproc_dec(p.uid);
  --live_procs_;
  if (p.reserved_mb > 0) {
    swap_.unreserve(p.reserved_mb);
    p.reserved_mb = 0;
    probes_.reserved_mb = swap_.reserved_mb();
  }
  free_proc(&p);
}

}  // namespace forksim
