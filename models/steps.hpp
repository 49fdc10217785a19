// The step catalogue: every piece of kernel work forksim charges time for.
//
// Each entry names the lines of fork.c it stands for (the revision
// docs/model.md names; "the seed"), or the illumos source file outside it,
// the locks it takes in the seed's order, its default cost in nanoseconds at
// cpu_speed 1.0, what the cost is per ("call", or per page, LWP, probe, ...),
// and where that figure comes from. The scenario's `costs` table overrides
// entries by name; this is the only place a default cost is defined.
//
// `forksim explain PATH` prints the entries of one path in catalogue order,
// which is the order the model runs them in.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forksim {

// Paths of `explain`; a step can belong to several.
enum PathBit : uint32_t {
  kFork1 = 1u << 0,
  kForkall = 1u << 1,
  kVfork = 1u << 2,
  kChild = 1u << 3,      // the new child's first run
  kExec = 1u << 4,
  kExit = 1u << 5,
  kWait = 1u << 6,       // the parent's wait and reap
  kGetprocFail = 1u << 7,
  kAsdupFail = 1u << 8,
  kForklwpFail = 1u << 9,
  kBadCall = 1u << 10,   // forksys bad subcode, cfork bad flags
  kSched = 1u << 11,     // dispatcher and mutex costs charged anywhere
  kFault = 1u << 12,     // a write to a page a fork protected, after the fork
};
constexpr uint32_t kForkPaths = kFork1 | kForkall | kVfork;

enum class Step : uint16_t {
  syscall_entry, forksys_einval, check_flags, holdlwps, holdlwps_poke, holdlwps_stop,
  pool_barrier_enter, zone_status, proc_alloc, pid_allocate,
  pid_probe, out_of_procs, getproc_limit_check, getproc_limit_fail,
  getproc_link, getproc_copy, getproc_file, getproc_undo, backoff_enter,
  backoff_delay, backoff_exit, cfork_getproc_fail, vfork_share_as,
  as_dup_prlock, as_dup, as_dup_page, as_dup_done, as_dup_fail, rctl_dup, lwpdir_alloc,
  thread_create, forklwp, contract_fork, forklwperr, forklwperr_page, forklwp_fail_lwp,
  forklwp_fail_free, fork_fail, fail_unlink, fork_finish,
  pool_barrier_exit, fork_publish, fork_publish_lwp, vfork_start, vfork_setrun, forkret,
  forkret_parent, vfwait, syscall_return, forkerr,
  child_start, lwp_exit, exit_prepare, exit_file, exec_lookup, exec_open, exec_header,
  exec_args, exec_relvm_vfork, exec_relvm, as_free_page, exec_new_as, exec_load, exec_finish,
  contract_exit, exit_proc, exit_reparent, exit_zombie,
  sigcld, post_sigcld, thread_exit, reaper_pass, thread_reap, thread_free,
  wait_reap, freeproc, sigcld_delete, sigcld_repost,
  ctxsw, mutex_handoff, mutex_backoff_unit, mutex_sharer,
  cow_fault_copy, cow_fault_nocopy,
  kCount
};

struct StepInfo {
  Step id;
  const char* name;
  uint32_t paths;      // PathBit mask
  const char* lines;   // seed lines, or "file.c: function" outside the seed
  const char* locks;   // in the order taken, "-" for none
  const char* releases;  // a lock taken before the step and dropped in it, or "" 
  double cost_ns;      // default, at cpu_speed 1.0
  const char* unit;    // what cost_ns is charged per: "call", "page", "lwp", ...
  const char* basis;   // where the default comes from: "measured: ...", "share: ...",
                       // "remainder: ...", "guess: ..." (or "none: ...")
};

const std::vector<StepInfo>& step_catalogue();
// A step as a lock's caller (sim/kmutex.hpp LockSite): the step the lock is
// taken for, the one whose `locks` column names it.
constexpr uint16_t lock_site(Step s) { return static_cast<uint16_t>(s); }
const StepInfo& step_info(Step s);
const StepInfo* find_step(std::string_view name);  // nullptr if unknown

// Path names as `explain` takes them, with their bit.
struct PathName { const char* name; uint32_t bit; const char* what; };
const std::vector<PathName>& path_names();
const PathName* find_path(std::string_view name);

}  // namespace forksim
