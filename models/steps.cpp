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
  {Step::holdlwps_lwp, "holdlwps_lwp", ALLFORK, "198-202 (lwp.c pokelwps)", "-", "",
   3000, "other lwp",
   "estimate: poke, cross-call and wait for each other LWP to stop"},
  {Step::pool_barrier_enter, "pool_barrier_enter", ALLFORK, "212-225", "p_lock", "",
   100, "call", kEst},
  {Step::page_mem_avail, "page_mem_avail", ALLFORK, "932-933", "-", "",
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
   800, "call", "estimate: proc_entry_free, pid_rele, kmem_cache_free"},
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
  {Step::as_dup_fail, "as_dup_fail", AF, "275-310, 678-706",
   "p_lock, pidlock, child p_lock", "", 5000, "call", kEst},
  {Step::rctl_dup, "rctl_dup", FK | LF, "346-361", "rcs_lock", "",
   1500, "call", kEst},
  {Step::lwpdir_alloc, "lwpdir_alloc", FK | LF, "366-376", "-", "",
   500, "call", kEst},
  {Step::forklwp, "forklwp", FK | LF, "384-436 (lwp.c forklwp)", "zone_nlwps_lock", "",
   4000, "lwp cloned", "estimate: thread and stack allocation, context copy"},
  {Step::contract_fork, "contract_fork", FK | LF, "444-445 (contract/process.c)",
   "ct_lock", "", 2500, "call", kEst},
  {Step::forklwperr, "forklwperr", LF, "598-670, 678-777",
   "pidlock, child p_lock, p_lock", "", 6000, "call", kEst},
  {Step::forklwperr_page, "forklwperr_page", LF, "614-616 (as_free)", "-", "",
   30, "page", "estimate: freeing the duplicated anon map, per page"},
  {Step::fork_finish, "fork_finish", FK, "451-515", "p_lock", "",
   800, "call", kEst},
  {Step::pool_barrier_exit, "pool_barrier_exit", FK, "523-525", "p_lock", "",
   100, "call", kEst},
  {Step::fork_publish, "fork_publish", FK, "527-564", "pidlock, child p_lock", "",
   1500, "call", kEst},
  {Step::fork_publish_lwp, "fork_publish_lwp", FK, "547-563", "pidlock, child p_lock", "",
   200, "child lwp", kEst},
  {Step::vfork_start, "vfork_start", VF, "566-582",
   "p_lock, child p_lock", "pidlock", 800, "call", kEst},
  {Step::forkret, "forkret", F1 | FA, "583-594 (ts.c ts_forkret)",
   "-", "pidlock", 1000, "call",
   "estimate; TS puts the child first and the parent behind it"},
  {Step::vfwait, "vfwait", VF, "1316-1387", "pidlock, child p_lock, p_lock", "",
   800, "check", kEst},
  {Step::syscall_return, "syscall_return", ALLFORK | kBadCall, "596", "-", "",
   300, "call", kEst},
  {Step::forkerr, "forkerr", GF | AF | LF | kBadCall, "671-672", "-", "",
   100, "call", kEst},
  {Step::child_start, "child_start", kChild, "509-511 (lwp_rtt in the child)", "-", "",
   1500, "call", kEst},
  {Step::exec_relvm_vfork, "exec_relvm_vfork", kExec | kExit, "1214-1280",
   "child p_lock, parent p_lock", "", 800, "call", kEst},
  {Step::exec_relvm, "exec_relvm", kExec | kExit, "1281-1306", "p_lock", "",
   3000, "call", "estimate: as_free of the child's copy"},
  {Step::as_free_page, "as_free_page", kExec | kExit, "1304 (as_free)", "-", "",
   30, "page", "estimate: releasing one anon page and its swap reservation"},
  {Step::exec_load, "exec_load", kExec, "exec.c gexec (outside the seed)", "-", "",
   60000, "call",
   "estimate: image activation; posix_spawn of /bin/true costs 72 us here"},
  {Step::exit_prepare, "exit_prepare", kExit, "exit.c proc_exit before pidlock", "-", "",
   20000, "call", kEstCycle},
  {Step::exit_file, "exit_file", kExit, "exit.c closeall", "-", "",
   100, "open file", kEst},
  {Step::exit_proc, "exit_proc", kExit, "exit.c proc_exit under pidlock", "pidlock", "",
   2000, "call", kEst},
  {Step::exit_reparent, "exit_reparent", kExit, "exit.c proc_exit reparenting",
   "pidlock", "", 200, "child", kEst},
  {Step::wait_reap, "wait_reap", kWait, "exit.c waitid", "pidlock", "",
   3000, "call", kEstCycle},
  {Step::freeproc, "freeproc", kWait, "exit.c freeproc, pid.c pid_exit",
   "pidlock, pidlinklock", "", 800, "call", kEst},
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
   "(getproc_limit_fail), then backs off; a page_mem_avail failure returns "
   "before pid_allocate, with no backoff"},
  {"asdup_fail", kAsdupFail, "as_dup fails (ENOMEM or EAGAIN), no backoff"},
  {"forklwp_fail", kForklwpFail, "forklwp or contract fails (EAGAIN), no backoff"},
  {"badcall", kBadCall, "bad subcode or flags: EINVAL"},
  {"sched", kSched, "dispatcher and mutex costs, charged wherever they happen"},
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
