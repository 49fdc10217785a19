// exec, exit and wait, from outside the seed (exec.c, exit.c), as much as
// the fork model needs: the address space released (relvm), proc_exit under
// pidlock, the zombie reaped by the parent's wait, freeproc.
#include <algorithm>

#include "models/kernel.hpp"
#include "sim/engine.hpp"

namespace forksim {

Co<Err> Kernel::exec(Proc& p, double image_writable_mb) {
  Kthread& t = *p.thread;  // exec runs in a single-threaded child
  co_await relvm(p, t);
  co_await charge(t, Step::exec_load);
  co_await t.flush();
  // The new image's private writable segments are reserved as it maps
  // them; without the room exec fails and the process must exit.
  if (!swap_.reserve(image_writable_mb, p.privileged)) co_return Err::ENOMEM_;
  p.reserved_mb = image_writable_mb;
  p.writable_mb = image_writable_mb;
  p.has_as = true;
  probes_.reserved_mb = swap_.reserved_mb();
  probes_.reserved_max_mb = std::max(probes_.reserved_max_mb, probes_.reserved_mb);
  co_return Err::Ok;
}

Co<void> Kernel::exit_proc(Proc& p, Kthread& t) {
  co_await own_enter(p.p_lock, p, t);
  p.flags |= SEXITLWPS;
  co_await own_exit(p.p_lock, p, t);
  co_await charge(t, Step::exit_prepare);
  co_await charge(t, Step::exit_file, p.open_files);
  co_await relvm(p, t);

  co_await pidlock_.enter(t);
  co_await charge(t, Step::exit_proc);
  co_await charge(t, Step::exit_reparent, p.nchildren);
  co_await t.flush();
  zone_nlwps_ -= p.lwps;
  // Children go to init, which reaps the zombies among them (init's CPU is
  // not modelled); the living ones it reaps when they exit.
  p.zombies.clear();
  while (Proc* c = p.child) {
    unlink_child(*c);
    if (c->stat == Proc::Stat::Zomb) co_await freeproc(*c, t);
  }
  p.stat = Proc::Stat::Zomb;
  if (p.parent) {
    p.parent->zombies.push_back(&p);  // stays linked until reaped
    p.parent->p_cv.broadcast(disp_);  // sigcld wakes the parent's wait
    co_await pidlock_.exit(t);
  } else {
    co_await freeproc(p, t);  // a parent outside the model (init) reaps it at once
    co_await pidlock_.exit(t);
  }
  co_await disp_.exit_thread(t);  // swtch() for the last time: touch nothing after
}

Co<void> Kernel::wait_child(Proc& p, Kthread& t) {
  co_await pidlock_.enter(t);
  while (p.zombies.empty()) co_await p.p_cv.wait(t, pidlock_);
  co_await charge(t, Step::wait_reap);
  Proc* z = p.zombies.front();
  p.zombies.erase(p.zombies.begin());
  unlink_child(*z);
  co_await charge(t, Step::freeproc);
  co_await freeproc(*z, t);
  co_await pidlock_.exit(t);
  co_await disp_.trap_return(t);
}

// Called under pidlock: the slot, the pid (under pidlinklock, as pid_exit
// takes it), nproc and the uid's count go back. Any reservation left (a
// zombie has none) goes too.
Co<void> Kernel::freeproc(Proc& p, Kthread& t) {
  co_await pidlinklock_.enter(t);
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
