#include "models/steps.hpp"

#include <stdexcept>

namespace forksim {
namespace {

// Where the defaults come from. No published illumos figure of fork's steps
// exists (docs/model.md), so every default is an estimate. They were scaled
// toward the 159 us of CPU that Linux takes for a small parent's fork + exit +
// wait cycle on this hardware, and as_dup's per-page cost is the 75 ns per
// resident page measured there (docs/measurements.md, which also says how far
// the defaults are from those figures today).
constexpr const char* kEst = "estimate";
constexpr const char* kEstPage =
    "estimate from measurements/linux-host-fork.md: 19 us per resident MB";
constexpr const char* kEstCycle =
    "estimate, share of the 159 us fork+exit+wait cycle measured on this hardware";

constexpr uint32_t F1 = kFork1, FA = kForkall, VF = kVfork, FK = kForkPaths;
constexpr uint32_t GF = kGetprocFail, AF = kAsdupFail, LF = kForklwpFail;
constexpr uint32_t ALLFORK = FK | GF | AF | LF;

const std::vector<StepInfo> kCatalogue = {
  {Step::syscall_entry, "syscall_entry", ALLFORK | kBadCall, "134-148", "-", "",
   300, "call", "estimate: trap, forksys dispatch"},
  {Step::forksys_einval, "forksys_einval", kBadCall, "146, 173-176", "-", "",
   100, "call", kEst},
  {Step::check_flags, "check_flags", ALLFORK, "173-187", "-", "",
   100, "call", "estimate: flag, agent-lwp and privilege checks"},
  {Step::holdlwps, "holdlwps", ALLFORK, "198-202 (lwp.c holdlwps)", "p_lock", "",
   400, "call", kEst},
  {Step::holdlwps_poke, "holdlwps_poke", ALLFORK, "198-202 (lwp.c pokelwps 1569-1613)",
   "p_lock", "", 300, "other lwp",
   "estimate: thread lock, aston and a poke_cpu cross-call for each other LWP"},
  {Step::holdlwps_stop, "holdlwps_stop", ALLFORK, "198-202 (lwp.c holdlwps 1304-1337)",
   "-", "p_lock", 3000, "ncpus lwps",
   "estimate, elapsed time, not the forker's CPU: the LWPs that run no code of their own "
   "reach a hold point and stop (sig.c stop) on the other CPUs, ncpus at a time, while the "
   "forker sleeps in cv_wait(&p->p_holdlwps) with p_lock released"},
  {Step::pool_barrier_enter, "pool_barrier_enter", ALLFORK, "212-225", "p_lock", "",
   100, "call", kEst},
  {Step::zone_status, "zone_status", ALLFORK, "934-935", "-", "",
   50, "call", kEst},
  {Step::proc_alloc, "proc_alloc", ALLFORK, "938-961", "-", "",
   1500, "call", "estimate: kmem_cache_alloc and bzero of a proc_t"},
  {Step::pid_allocate, "pid_allocate", ALLFORK, "963-969 (pid.c pid_allocate)",
   "pidlinklock", "", 500, "call", kEst},
  {Step::pid_probe, "pid_probe", ALLFORK, "963 (pid.c pid_lookup)", "pidlinklock", "",
   40, "probe", "estimate: one hash-chain lookup of a candidate pid"},
  {Step::out_of_procs, "out_of_procs", GF, "964-967", "-", "",
   3000, "call", "estimate: cmn_err(CE_WARN) to the console"},
  {Step::getproc_limit_check, "getproc_limit_check", ALLFORK, "976-984",
   "pidlock", "", 300, "call", kEst},
  {Step::getproc_limit_fail, "getproc_limit_fail", GF, "985-988", "-", "",
   3000, "call", "estimate: zcmn_err(CE_NOTE) message"},
  {Step::getproc_link, "getproc_link", FK | AF | LF, "996-1091",
   "pidlock, p_lock, child p_lock", "", 2000, "call", kEstCycle},
  {Step::getproc_copy, "getproc_copy", FK | AF | LF, "1093-1165", "-", "",
   3000, "call", "estimate: cred and vnode holds, uarea copy"},
  {Step::getproc_file, "getproc_file", FK | AF | LF, "1108, 1129", "-", "",
   60, "open file", "estimate: fcnt_add and flist_fork per file"},
  {Step::getproc_undo, "getproc_undo", GF, "1168-1181", "pidlinklock", "",
   800, "call", "estimate: proc_entry_free, pid_rele, kmem_cache_free; pidlinklock only "
   "when a pid was allocated (1176-1180)"},
  {Step::backoff_enter, "backoff_enter", GF, "1192", "pidlock", "",
   100, "call", kEst},
  {Step::backoff_delay, "backoff_delay", GF, "1193", "-", "",
   0, "call", "the delay itself is whole clock ticks, not CPU"},
  {Step::backoff_exit, "backoff_exit", GF, "1194", "pidlock", "",
   100, "call", kEst},
  {Step::cfork_getproc_fail, "cfork_getproc_fail", GF, "230-237", "p_lock", "",
   300, "call", kEst},
  {Step::vfork_share_as, "vfork_share_as", VF, "244-260", "-", "",
   200, "call", kEst},
  {Step::as_dup_prlock, "as_dup_prlock", F1 | FA | AF, "269-272", "p_lock, P_PR_LOCK", "",
   200, "call", kEst},
  {Step::as_dup, "as_dup", F1 | FA | AF, "274 (vm_as.c as_dup, seg_vn.c segvn_dup)",
   "as_lock", "", 4000, "call", "estimate: segment and anon map duplication"},
  {Step::as_dup_page, "as_dup_page", F1 | FA | AF, "274 (seg_vn.c segvn_dup)",
   "as_lock", "", 75, "page", kEstPage},
  {Step::as_dup_done, "as_dup_done", F1 | FA, "313-340", "p_lock", "",
   400, "call", "estimate: sprunlock, shmfork, DTrace helpers, SFORKING off"},
  {Step::as_dup_fail, "as_dup_fail", AF, "275-277", "p_lock, P_PR_LOCK", "",
   300, "call", "estimate: sprunlock"},
  {Step::rctl_dup, "rctl_dup", FK | LF, "346-361", "rcs_lock", "",
   1500, "call", kEst},
  {Step::lwpdir_alloc, "lwpdir_alloc", FK | LF, "366-376", "-", "",
   500, "call", kEst},
  {Step::thread_create, "thread_create", FK | LF,
   "384-436 (thread.c thread_create 472-557)", "zone_nlwps_lock, pidlock",
   "", 500, "lwp cloned",
   "estimate: nthread++, a thread id, the all-threads list link, lgrp_move_thread and the "
   "choice of t_cpu under pidlock; taken out of forklwp's former 4 us"},
  {Step::forklwp, "forklwp", FK | LF, "384-436 (lwp.c forklwp)", "-", "",
   3500, "lwp cloned", "estimate: thread and stack allocation, context copy"},
  {Step::contract_fork, "contract_fork", FK | LF, "444-445 (contract/process.c)",
   "ct_lock", "", 2500, "call", kEst},
  {Step::forklwperr, "forklwperr", LF, "598-635", "-", "",
   2000, "call", "estimate: shmexit, as_free's fixed part, the lwpdir and tidhash freed"},
  {Step::forklwperr_page, "forklwperr_page", LF, "614-616 (as_free)", "-", "",
   30, "page", "estimate: freeing the duplicated anon map, per page"},
  {Step::forklwp_fail_lwp, "forklwp_fail_lwp", LF, "636, 721-757 (forklwp_fail)",
   "zone_nlwps_lock, pidlock", "", 300, "lwp cloned",
   "estimate: the all-threads unlink, CL_EXIT and cv_broadcast under pidlock (752-757)"},
  {Step::forklwp_fail_free, "forklwp_fail_free", LF, "764-775 (thread.c thread_free 789-791)",
   "pidlock", "", 100, "lwp cloned", "estimate: nthread-- under pidlock"},
  {Step::fork_fail, "fork_fail", AF | LF, "278, 637, 678-706", "pidlock", "",
   1500, "call",
   "estimate: fcnt_add, sigdelq, crfree, the file list freed, vnode releases; only "
   "upcount_dec (686-688) is under pidlock, and it is charged outside it"},
  {Step::fail_unlink, "fail_unlink", AF | LF, "279-297, 639-662 (pid.c pid_exit)",
   "pidlock, child p_lock, pidlinklock", "", 2000, "call",
   "estimate: orphan and sibling unlink, task_detach, pid_exit, all under pidlock"},
  {Step::fork_finish, "fork_finish", FK, "451-515", "p_lock", "",
   800, "call", kEst},
  {Step::pool_barrier_exit, "pool_barrier_exit", FK, "523-525", "p_lock", "",
   100, "call", kEst},
  {Step::fork_publish, "fork_publish", FK, "527-564", "pidlock, child p_lock", "",
   1500, "call", kEst},
  {Step::fork_publish_lwp, "fork_publish_lwp", FK, "547-563", "pidlock, child p_lock", "",
   200, "child lwp", kEst},
  {Step::vfork_start, "vfork_start", VF, "566-573", "p_lock", "",
   200, "call", "estimate: SVFWAIT, T_VFPARENT, the /proc broadcast, under pidlock"},
  {Step::vfork_setrun, "vfork_setrun", VF, "578-582", "child p_lock", "pidlock",
   600, "call", "estimate: sigdefault and continuelwps(cp), after pidlock is dropped"},
  {Step::forkret, "forkret", F1 | FA, "591 (ts.c ts_forkret 740-742)",
   "child p_lock", "", 400, "call",
   "estimate: continuelwps(cp) sets the child running; still under pidlock for TS "
   "(rt.c rt_forkret drops pidlock first)"},
  {Step::forkret_parent, "forkret_parent", F1 | FA, "591 (ts.c ts_forkret 744-765)",
   "p_lock", "pidlock", 600, "call",
   "estimate: continuelwps(pp), the parent's new priority and setrun; TS then swtch()es "
   "so the child runs first"},
  {Step::vfwait, "vfwait", VF, "1316-1387", "pidlock, child p_lock, p_lock", "",
   800, "check", kEst},
  {Step::syscall_return, "syscall_return", ALLFORK | kBadCall, "596", "-", "",
   300, "call", kEst},
  {Step::forkerr, "forkerr", GF | AF | LF | kBadCall, "671-672", "-", "",
   100, "call", kEst},
  {Step::child_start, "child_start", kChild, "509-511 (lwp_rtt in the child)", "-", "",
   1500, "call", kEst},
  {Step::lwp_exit, "lwp_exit", kExit, "exit.c exitlwps; lwp.c lwp_exit 969-973, 1054-1061",
   "p_lock, zone_nlwps_lock, pidlock", "", 300, "other lwp",
   "estimate: the all-threads unlink and cv_broadcast under pidlock, for each LWP but the "
   "last (a forkall child's); charged to the exiting thread, not run on other CPUs"},
  {Step::exit_prepare, "exit_prepare", kExit, "exit.c proc_exit before pidlock", "-", "",
   18500, "call", "estimate, share of the 159 us fork+exit+wait cycle measured on this "
   "hardware, less contract_exit's 1.5 us"},
  {Step::exit_file, "exit_file", kExit, "exit.c closeall", "-", "",
   100, "open file", kEst},
  {Step::exec_relvm_vfork, "exec_relvm_vfork", kExec | kExit, "1214-1280",
   "child p_lock, parent p_lock", "", 800, "call", kEst},
  {Step::exec_relvm, "exec_relvm", kExec | kExit, "1281-1306", "p_lock", "",
   3000, "call", "estimate: as_free of the child's copy"},
  {Step::as_free_page, "as_free_page", kExec | kExit, "1304 (as_free)", "-", "",
   30, "page", "estimate: releasing one anon page and its swap reservation"},
  {Step::exec_load, "exec_load", kExec, "exec.c gexec (outside the seed)", "-", "",
   60000, "call",
   "estimate: image activation; posix_spawn of /bin/true costs 72 us here"},

  {Step::contract_exit, "contract_exit", kExit,
   "exit.c proc_exit 610-617 (contract/process.c contract_process_exit 919-972)",
   "ct_lock, p_lock", "", 1500, "call",
   "estimate: removal from the process contract, EXIT/EMPTY events; outside pidlock"},
  {Step::exit_proc, "exit_proc", kExit, "exit.c proc_exit 637-723", "pidlock", "",
   1200, "call", "estimate: delete_ns, orphans, reparenting; with exit_zombie the former 2 us"},
  {Step::exit_reparent, "exit_reparent", kExit, "exit.c proc_exit 668-720",
   "pidlock", "", 200, "child", kEst},
  {Step::exit_zombie, "exit_zombie", kExit, "exit.c proc_exit 724-858",
   "pidlock, p_lock, zone_nlwps_lock", "", 800, "call",
   "estimate: CL_EXIT, microstate and rusage aggregation, SZOMB, rctl_set_free, the LWP "
   "counts under zone_nlwps_lock (799-803), lwpdir detach"},
  {Step::sigcld, "sigcld", kExit, "exit.c proc_exit 861 (sig.c sigcld 1698-1727)", "pidlock", "",
   200, "call", "estimate: add_ns and cv_broadcast(&pp->p_cv) under pidlock"},
  {Step::post_sigcld, "post_sigcld", kExit, "sig.c post_sigcld 1752-1790",
   "pidlock, parent p_lock", "", 200, "call",
   "estimate: queue SIGCLD to the parent; skipped for FORK_NOSIGCHLD (SIGCHLD is never "
   "ignored in the workloads)"},
  {Step::thread_exit, "thread_exit", kExit, "exit.c proc_exit 901 (thread.c thread_exit 617-622)",
   "pidlock", "", 300, "call", "estimate: the all-threads unlink and cv_broadcast(&t->t_joincv)"},
  {Step::reaper_pass, "reaper_pass", kExit, "thread.c thread_reaper 899-956", "-", "",
   5000, "pass",
   "estimate: mutex_sync, a cross-call to every CPU (944); a pass runs once more than "
   "reaplimit (16) threads are dead, then delay(hz)s, so at most once a second"},
  {Step::thread_reap, "thread_reap", kExit, "thread.c thread_reap_list, thread_free", "-", "",
   1000, "thread", "estimate: the stack, lwp and kthread_t freed, outside pidlock"},
  {Step::thread_free, "thread_free", kExit, "thread.c thread_free 789-791", "pidlock", "",
   100, "thread", "estimate: nthread-- under pidlock, once per dead thread, in the reaper's batch"},
  {Step::wait_reap, "wait_reap", kWait, "exit.c waitid", "pidlock", "",
   3000, "call", kEstCycle},
  {Step::freeproc, "freeproc", kWait, "exit.c freeproc, pid.c pid_exit",
   "pidlock, pidlinklock", "", 800, "call", kEst},
  {Step::sigcld_delete, "sigcld_delete", kWait, "exit.c waitid (sig.c sigcld_delete)",
   "p_lock", "", 150, "call", "estimate: the reaped child's SIGCLD dequeued, after pidlock"},
  {Step::sigcld_repost, "sigcld_repost", kWait, "exit.c waitid 1031-1034 (sig.c sigcld_repost "
   "1799-1816)", "pidlock", "", 150, "call",
   "estimate: a scan of the children for CLDPEND; pidlock is taken again for it"},
  {Step::ctxsw, "ctxsw", kSched, "disp.c swtch", "-", "",
   2500, "switch", "estimate: a context switch, cache refill included"},
  {Step::mutex_handoff, "mutex_handoff", kSched, "mutex.c mutex_vector_enter", "-", "",
   150, "hand-off", "estimate: lock cache line moving to the next owner"},
  {Step::mutex_backoff_unit, "mutex_backoff_unit", kSched,
   "mutex.c default_lock_delay, mutex_vector_enter", "-", "",
   100, "delay step",
   "estimate: one MUTEX_DELAY step, mutex_delay_default's 92-iteration loop (\"approx a few "
   "hundred processor cycles\", intel/ia32/ml/lock_prim.s) plus a pause, taken as 300 cycles at "
   "3 GHz; a spinner waits 1 to backoff steps before each look (the mean, fixed for a run)"},
  // Write faults after fork (models/cow.cpp), on the writing thread. Lines
  // are those of vm/seg_vn.c and vm/vm_anon.c at the seed's revision.
  {Step::cow_fault_copy, "cow_fault_copy", kFault,
   "seg_vn.c segvn_dup 1669-1670 protects; segvn_fault 4873 -> segvn_faultpage (cow 2884, "
   "anon_private 3009; vm_anon.c anon_private 2305)", "-", "", 2575, "page",
   "measurements/linux-host-fork.md: 2,500-2,650 ns per 4 KiB page written while the child "
   "still maps it (a copy-on-write fault and a 4 KiB copy), the middle of the range"},
  {Step::cow_fault_nocopy, "cow_fault_nocopy", kFault,
   "seg_vn.c segvn_faultpage 2630 (vm_anon.c anon_getpage 1836-1839: an_refcnt 1, "
   "writable, no copy)", "-", "", 760, "page",
   "measurements/linux-host-fork.md: 730-790 ns per 4 KiB page written after the child has "
   "exited (the fault only makes the page writable again), the middle of the range"},
};

const std::vector<PathName> kPaths = {
  {"fork1", kFork1, "fork1/forkx, succeeding (libc fork())"},
  {"forkall", kForkall, "forkall/forkallx, succeeding"},
  {"vfork", kVfork, "vfork/vforkx, succeeding (posix_spawn, system, popen)"},
  {"child", kChild, "the child's first run"},
  {"exec", kExec, "exec in the child: relvm, then the image"},
  {"exit", kExit, "exit: relvm, proc_exit"},
  {"wait", kWait, "the parent's wait: reap the zombie, freeproc"},
  {"getproc_fail", kGetprocFail,
   "getproc fails out of processes (out_of_procs) or over the per-user limit "
   "(getproc_limit_fail), then backs off"},
  {"asdup_fail", kAsdupFail, "as_dup fails (ENOMEM or EAGAIN), no backoff"},
  {"forklwp_fail", kForklwpFail, "forklwp or contract fails (EAGAIN), no backoff"},
  {"badcall", kBadCall, "bad subcode or flags: EINVAL"},
  {"sched", kSched, "dispatcher and mutex costs, charged wherever they happen"},
  {"fault", kFault,
   "a write to a page a fork protected (segvn_dup), on the writing thread: a copy while "
   "the other process still maps the page, else write-enable only"},
};

}  // namespace

const std::vector<StepInfo>& step_catalogue() { return kCatalogue; }

const StepInfo& step_info(Step s) {
  // The table is written in enum order; check once that it stays so.
  static const bool ordered = [] {
    for (size_t i = 0; i < kCatalogue.size(); ++i)
      if (static_cast<size_t>(kCatalogue[i].id) != i)
        throw std::logic_error(std::string("step catalogue out of enum order at ") +
                               kCatalogue[i].name);
    if (kCatalogue.size() != static_cast<size_t>(Step::kCount))
      throw std::logic_error("step catalogue misses entries");
    return true;
  }();
  (void)ordered;
  return kCatalogue[static_cast<size_t>(s)];
}

const StepInfo* find_step(std::string_view name) {
  for (const auto& s : kCatalogue)
    if (name == s.name) return &s;
  return nullptr;
}

const std::vector<PathName>& path_names() { return kPaths; }

const PathName* find_path(std::string_view name) {
  for (const auto& p : kPaths)
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace forksim
