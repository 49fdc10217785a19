// The simulated kernel: global locks, the process table, swap, the CPUs,
// the costs, and the fork, exec, exit and wait paths that workloads call.
//
// Every entry point is called by a process's own thread while it holds a
// CPU, and returns with the thread still on a CPU (exit_proc excepted).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/probes.hpp"
#include "models/config.hpp"
#include "models/costs.hpp"
#include "models/proc.hpp"
#include "models/proctable.hpp"
#include "models/swap.hpp"
#include "sim/dispatcher.hpp"

namespace forksim {

enum class ForkPath : uint8_t { Fork1, Forkall, Vfork };
const char* path_name(ForkPath p);
ForkPath path_from_name(const std::string& s);

enum class Err : uint8_t { Ok, EAGAIN_, ENOMEM_, EINTR_, EINVAL_ };
const char* err_name(Err e);

// Why a fork failed, as the report counts them.
enum class FailReason : uint8_t {
  None, OutOfProcs, PerUser, SwapReservation, LwpLimit, Interrupted, BadCall
};
const char* reason_name(FailReason r);

struct ForkResult {
  Err err = Err::Ok;
  FailReason reason = FailReason::None;
  Proc* child = nullptr;
};

// cfork flags (sys/fork.h)
constexpr int FORK_NOSIGCHLD = 0x1;
constexpr int FORK_WAITPID = 0x2;

class Kernel {
 public:
  // Random draws (costs, mutex backoff) come from the kernel's own streams
  // of config.seed (sim/streams.hpp), none shared with the workload.
  Kernel(const KernelConfig& config, Probes& probes);
  ~Kernel();

  // The calling thread t is one of p's LWPs (p.thread unless the process
  // has several threads that fork).
  // forksys(subcode, flags): 0 forkx, 1 forkallx, 2 vforkx, else EINVAL.
  Co<ForkResult> forksys(Proc& p, Kthread& t, int subcode, int flags);
  Co<ForkResult> cfork(Proc& p, Kthread& t, ForkPath path, int flags);
  // cfork's two halves, which it awaits in turn: up to its success's last
  // waits, then (after a success only) those waits and the return. A caller
  // that awaits them itself saves cfork's frame for the whole wait.
  Co<ForkResult> cfork_start(Proc& p, Kthread& t, ForkPath path, int flags);
  Co<void> cfork_return(Proc& p, Kthread& t, ForkPath path, Proc& cp);
  // The parent's wait: sleeps until a child is a zombie, then reaps it.
  Co<void> wait_child(Proc& p, Kthread& t);
  // exec in a single-threaded p, in exec.c's order: lookup, open, header,
  // argument copy, then relvm (releasing a vfork parent), then the new
  // image, of that private writable size and resident part. ENOMEM when the
  // image's memory cannot be reserved.
  Co<Err> exec(Proc& p, double image_reserved_mb, double image_resident_mb);
  // Exit by p's last thread t: relvm, proc_exit, zombie; t leaves its CPU
  // for good.
  Co<void> exit_proc(Proc& p, Kthread& t);

  // User-mode CPU work (at cpu_speed 1) by t, one of p's LWPs, that a
  // fork's holdlwps stops promptly: poked, t leaves user mode at once, stops
  // (stop(), the holdlwps_stop step, on its own CPU) until continuelwps,
  // then does the rest. Its start and end are hold points too (the LWP's
  // entry into the kernel before and after the work).
  Co<void> user_work(Proc& p, Kthread& t, double seconds);
  // Every hold of p's other LWPs as it ends: from holdlwps's setting p's
  // holder (line 1298) to continuelwps. Only for a process with more than
  // one thread the model runs (a single thread holds no one).
  std::function<void(Proc& p, double held_from_s, double held_to_s)> on_hold_end;

  // A process that exists before the run (a workload's parent, a daemon):
  // pid, slot, nproc, upcount and its memory reservation (of reserved_mb,
  // resident_mb of it present). nullptr when the table or swap cannot hold it.
  Proc* create_initial_proc(int uid, bool privileged, double reserved_mb, double resident_mb,
                            int lwps, int open_files, bool rt);

  // p's thread t, on its CPU, writes `pages` of p's resident pages, next in
  // its sequential sweep: each first write to a page a fork protected takes
  // a fault on t (models/cow.cpp), charged and flushed here. The hook for
  // any workload's writes ("this thread writes N pages now").
  Co<void> write_pages(Proc& p, Kthread& t, double pages);
  // Pages a fork protected minus faults taken minus protections dropped
  // (relvm, as_free): 0 when every fault belongs to a page a fork
  // protected and every protection is accounted for. Whole run.
  int64_t cow_page_balance() const {
    return static_cast<int64_t>(cow_protected_) - static_cast<int64_t>(cow_faulted_) -
           static_cast<int64_t>(cow_dropped_);
  }
  // Makes p's main thread (reused with a recycled Proc).
  Kthread& make_thread(Proc& p);
  // Shared state is read and written at the thread's engine clock, its
  // pending CPU work not yet flushed. That is exact for state that only
  // changes under a lock the thread holds (nproc, upcount and
  // fork_fail_pending under pidlock, the pid table under pidlinklock,
  // zone_nlwps under its lock). Anything else (swap, waking a thread) is
  // touched after a flush.
  // Another thread of p that forks on its own (parent.forking_lwps).
  Kthread& make_lwp_thread(Proc& p);

  // The workload decides what a new child runs: called when the child is
  // made runnable, from the parent's thread.
  std::function<void(Proc& child)> on_child;
  // Where p's figures for `path` go: a workload with several groups keeps
  // each process's in its group's (Proc::group). Default: probes.paths.
  std::function<PathStats&(const Proc& p, ForkPath path)> path_stats;

  // p's own locks (p_lock, as_lock, rcs_lock) taken by p's thread t. When
  // p has one thread, no vfork relation (a child on its address space, or
  // being one) and no child that runs (a running child takes its parent's
  // p_lock in post_sigcld), no other thread can take them, so they are
  // entered privately: no engine event. A section that sets or clears
  // SVFWAIT or SVFORK inside must use enter/exit.
  Soon own_enter(KMutex& m, Proc& p, Kthread& t, Step caller);
  Soon own_exit(KMutex& m, Proc& p, Kthread& t);
  // An own-lock section with one step's cost inside it.
  Soon own_section(KMutex& m, Proc& p, Kthread& t, Step s);

  // One step's CPU work, drawn from the costs table (co_await it).
  Kthread::Charge charge(Kthread& t, Step s, double units = 1.0) {
    return t.charge(costs_.ns(s, units));
  }

  Dispatcher& dispatcher() { return disp_; }
  ProcTable& table() { return table_; }
  SwapSpace& swap() { return swap_; }
  Probes& probes() { return probes_; }
  int fork_fail_pending() const { return fork_fail_pending_; }
  int live_procs() const { return live_procs_; }
  // Processes not yet freed, by the workload's group (Proc::group), for
  // groups 0 .. n-1: after a drain, every group's should be 0.
  std::vector<int> live_by_group(size_t n) const;
  int locks_held() const;  // global locks held now (0 when quiet)

 private:
  bool is_private(const Proc& p) const {
    return !disp_.step_by_step && p.single_lwp() && !(p.flags & (SVFWAIT | SVFORK)) &&
           p.running_children == 0 && !p.vfwaited;
  }
  Co<Proc*> getproc(Proc& pp, Kthread& t, FailReason* why);
  Co<void> getproc_backoff(Kthread& t);
  Co<void> fork_fail(Proc& cp, Kthread& t);
  Co<void> set_child_running(Proc& p, Proc& cp, Kthread& t);
  Co<void> unlink_failed_child(Proc& cp, Kthread& t);
  Co<void> forklwperr(Proc& p, Proc& cp, Kthread& t, int lwps_cloned, ForkPath path);
  Co<bool> holdlwps(Proc& p, Kthread& t, uint32_t holdflag);
  Co<void> continuelwps(Proc& p, Kthread& t);
  // A system call's entry and return for holdlwps's bookkeeping; the
  // return, and the entry as the end of the call before it (a think
  // sleep), are hold points. No-ops for a process with one thread.
  Co<void> syscall_enter(Proc& p, Kthread& t);
  Co<void> syscall_leave(Proc& p, Kthread& t);
  Co<void> hold_point(Proc& p, Kthread& t);
  // user_work's hold point: the AST is taken; t stops if p is held.
  Co<void> user_hold_point(Proc& p, Kthread& t);
  // sig.c stop(): t counts as stopped and waits, p_lock held, for the
  // holder's continuelwps.
  Co<void> stop_locked(Proc& p, Kthread& t);
  // thread.c reapq_add and thread_reaper: n more dead threads; a reaper
  // pass starts once more than reaplimit wait.
  void reapq_add(int n);
  Co<void> reaper();
  Co<void> vfwait(Proc& pp, Proc& cp, Kthread& t);
  Co<void> relvm(Proc& p, Kthread& t);
  // Copy-on-write state (models/cow.cpp), at the acting thread's clock
  // `now`: as_dup protects the parent's and the child's resident pages;
  // relvm or as_free drops a process's protection and its share of its
  // parent's pages. Only the parent's own thread and, after a flush, its
  // children touch its state.
  void protect_after_dup(Proc& p, Proc& cp, ForkPath path, double now);
  void release_cow(Proc& p, double now);
  void end_slowed(Proc& p, double now);
  PathStats& stats_of(const Proc& p, ForkPath path);  // path_stats, or probes_.paths
  Co<void> freeproc(Proc& p, Kthread& t);
  void link_child(Proc& pp, Proc& cp);
  void unlink_child(Proc& cp);
  Proc* alloc_proc();
  void free_proc(Proc* p);
  void note_failure(ForkResult& r);
  Co<ForkResult> fork_error(Proc& p, Kthread& t, Err e, FailReason why);

  const KernelConfig cfg_;
  Probes& probes_;
  CostTable costs_;
  Rng backoff_rng_;
  std::function<double()> switch_fn_;
  MutexCosts mutex_costs_;
  Dispatcher disp_;
  LockStats *plock_stats_, *rcs_stats_, *as_stats_;
  LockClass plock_class_, rcs_class_, as_class_;  // every Proc's three mutexes
  KMutex pidlock_, pidlinklock_, zone_nlwps_lock_, ct_lock_;
  ProcTable table_;
  SwapSpace swap_;
  int v_maxup_, v_maxupttl_;
  int fork_fail_pending_ = 0;
  long zone_nlwps_ = 0;
  int live_procs_ = 0;
  uint64_t cow_protected_ = 0, cow_faulted_ = 0, cow_dropped_ = 0;  // pages, whole run
  int next_thread_id_ = 0;
  int deathrow_ = 0;            // lwp_reapcnt + thread_reapcnt
  bool reaper_busy_ = false;    // a reaper pass is running or in its delay(hz)
  std::unique_ptr<Kthread> reaper_thread_;
  std::vector<std::unique_ptr<Proc>> procs_;  // owner of every Proc
  std::vector<Proc*> free_procs_;
};

}  // namespace forksim
