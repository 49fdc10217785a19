#include "models/steps.hpp"

#include <stdexcept>

namespace forksim {
namespace {

// Where the defaults come from. No published figure of illumos fork's steps
// exists (docs/model.md), so each default is one of: a measurement on this
// project's hardware (docs/measurements.md; as_dup_page, as_free_page), a
// share of a measured figure, a remainder (the part of a measured figure
// that the other steps' guesses leave), or a guess with its reasoning. The
// shares and remainders make a small process (no private memory beyond its
// program's) meet the measured fork call (48 us), fork + wait (147 us, about
// the 6,300 cycles a second measured), vfork call (17 us) and posix_spawn
// call (72 us) within 25%; tests/test_calibration.cpp holds them there.
constexpr uint32_t F1 = kFork1, FA = kForkall, VF = kVfork, FK = kForkPaths;
constexpr uint32_t GF = kGetprocFail, AF = kAsdupFail, LF = kForklwpFail;
constexpr uint32_t ALLFORK = FK | GF | AF | LF;

const std::vector<StepInfo> kCatalogue = {
  {Step::syscall_entry, "syscall_entry", ALLFORK | kBadCall, "134-148", "-", "",
   200, "call",
   "guess: the trap and forksys's dispatch, a few hundred cycles at 3 GHz"},
  {Step::forksys_einval, "forksys_einval", kBadCall, "146, 173-176", "-", "",
   100, "call",
   "guess: a compare and set_errno, a few dozen instructions"},
  {Step::check_flags, "check_flags", ALLFORK, "173-187", "-", "",
   100, "call",
   "guess: flag, agent-LWP and privilege tests on fields already in cache"},
  {Step::holdlwps, "holdlwps", ALLFORK, "198-202 (lwp.c holdlwps)", "p_lock", "",
   200, "call",
   "guess: p_lock and a flag test and set in a process of one LWP, a few cache lines; "
   "vfork's path, its guesses scaled together to the measured 17 us vfork call "
   "(docs/measurements.md)"},
  {Step::holdlwps_poke, "holdlwps_poke", ALLFORK, "198-202 (lwp.c pokelwps 1569-1613)",
   "p_lock", "", 300, "other lwp",
   "guess: thread lock, aston and a poke_cpu cross-call per other LWP; sending a "
   "cross-call takes a few hundred cycles"},
  {Step::holdlwps_stop, "holdlwps_stop", ALLFORK, "198-202 (lwp.c holdlwps 1304-1337)",
   "-", "p_lock", 3000, "ncpus lwps",
   "guess, elapsed time, not the forker's CPU: the LWPs that run no code of their own "
   "reach a hold point and stop (sig.c stop) on the other CPUs, ncpus at a time, while the "
   "forker sleeps in cv_wait(&p->p_holdlwps) with p_lock released"},
  {Step::pool_barrier_enter, "pool_barrier_enter", ALLFORK, "212-225", "p_lock", "",
   100, "call",
   "guess: one counter under p_lock"},
  {Step::zone_status, "zone_status", ALLFORK, "934-935", "-", "",
   50, "call",
   "guess: one load and compare of the zone's status"},
  {Step::proc_alloc, "proc_alloc", ALLFORK, "938-961", "-", "",
   800, "call",
   "guess: kmem_cache_alloc of a proc_t from a warm magazine (~200 ns) and its bzero (a "
   "few KB, ~600 ns); vfork's path, its guesses scaled together to the measured 17 us "
   "vfork call (docs/measurements.md)"},
  {Step::pid_allocate, "pid_allocate", ALLFORK, "963-969 (pid.c pid_allocate)",
   "pidlinklock", "", 250, "call",
   "guess: kmem_alloc of a struct pid and the hash insert, a few cache lines"},
  {Step::pid_probe, "pid_probe", ALLFORK, "963 (pid.c pid_lookup)", "pidlinklock", "",
   40, "probe",
   "guess: one hash-chain lookup of a candidate pid, one or two cache lines"},
  {Step::out_of_procs, "out_of_procs", GF, "964-967", "-", "",
   3000, "call",
   "guess: cmn_err(CE_WARN) formats a message and queues it for the console and log, ~3 "
   "us"},
  {Step::getproc_limit_check, "getproc_limit_check", ALLFORK, "976-984",
   "pidlock", "", 200, "call",
   "guess: nproc and the per-uid count (upcount_get's hash) compared under pidlock"},
  {Step::getproc_limit_fail, "getproc_limit_fail", GF, "985-988", "-", "",
   3000, "call",
   "guess: zcmn_err(CE_NOTE) formats and logs a message, as out_of_procs"},
  {Step::getproc_link, "getproc_link", FK | AF | LF, "996-1091",
   "pidlock, p_lock, child p_lock", "", 800, "call",
   "guess: some forty fields of the child's proc_t filled from the parent's, the sibling "
   "and pid-hash links, upcount_inc, under pidlock; vfork's path, its guesses scaled "
   "together to the measured 17 us vfork call (docs/measurements.md)"},
  {Step::getproc_copy, "getproc_copy", FK | AF | LF, "1093-1165", "-", "",
   1000, "call",
   "guess: cred and vnode holds (an atomic increment on a shared line, ~100 ns each) and "
   "the uarea's copy (~1 KB); vfork's path, its guesses scaled together to the measured "
   "17 us vfork call (docs/measurements.md)"},
  {Step::getproc_file, "getproc_file", FK | AF | LF, "1108, 1129", "-", "",
   30, "open file",
   "guess: one file entry copied and held (an atomic increment) per open file"},
  {Step::getproc_undo, "getproc_undo", GF, "1168-1181", "pidlinklock", "",
   800, "call",
   "guess: proc_entry_free, pid_rele, kmem_cache_free; pidlinklock only "
   "when a pid was allocated (1176-1180)"},
  {Step::backoff_enter, "backoff_enter", GF, "1192", "pidlock", "",
   100, "call",
   "guess: INCR_COUNT, one counter under pidlock"},
  {Step::backoff_delay, "backoff_delay", GF, "1193", "-", "",
   0, "call",
   "none: the delay itself is whole clock ticks of sleep, not CPU"},
  {Step::backoff_exit, "backoff_exit", GF, "1194", "pidlock", "",
   100, "call",
   "guess: DECR_COUNT, one counter under pidlock"},
  {Step::cfork_getproc_fail, "cfork_getproc_fail", GF, "230-237", "p_lock", "",
   300, "call",
   "guess: the pool barrier's exit and continuelwps in a process of one LWP, a few cache "
   "lines"},
  {Step::vfork_share_as, "vfork_share_as", VF, "244-260", "-", "",
   200, "call",
   "guess: the parent's address space shared, one pointer and a hold"},
  {Step::as_dup_prlock, "as_dup_prlock", F1 | FA | AF, "269-272", "p_lock, P_PR_LOCK", "",
   200, "call",
   "guess: sprlock_proc sets P_PR_LOCK under p_lock"},
  {Step::as_dup, "as_dup", F1 | FA | AF, "274 (vm_as.c as_dup, seg_vn.c segvn_dup)",
   "as_lock", "", 37000, "call",
   "remainder: the measured 48 us small fork call (docs/measurements.md) less the ~11 us "
   "that the other steps of fork1's path take here; duplicating a small process's "
   "segments, anon maps and hat, close to the 31 us by which the measured fork call "
   "exceeds the vfork call"},
  {Step::as_dup_page, "as_dup_page", F1 | FA | AF, "274 (seg_vn.c segvn_dup)",
   "as_lock", "", 75, "page",
   "measured: fork costs about 19 us per resident MB, about 75 ns per 4 KiB page "
   "(docs/measurements.md)"},
  {Step::as_dup_done, "as_dup_done", F1 | FA, "313-340", "p_lock", "",
   400, "call",
   "guess: sprunlock, shmfork, DTrace helpers and SFORKING cleared: a few flags and a "
   "broadcast"},
  {Step::as_dup_fail, "as_dup_fail", AF, "275-277", "p_lock, P_PR_LOCK", "",
   300, "call",
   "guess: sprunlock, a flag and a broadcast"},
  {Step::rctl_dup, "rctl_dup", FK | LF, "346-361", "rcs_lock", "",
   500, "call",
   "guess: the process's rctl sets copied, a kmem_alloc and a short list walk"},
  {Step::lwpdir_alloc, "lwpdir_alloc", FK | LF, "366-376", "-", "",
   200, "call",
   "guess: two kmem_zalloc of small tables"},
  {Step::thread_create, "thread_create", FK | LF,
   "384-436 (thread.c thread_create 472-557)", "zone_nlwps_lock, pidlock",
   "", 300, "lwp cloned",
   "guess: nthread++, a thread id, the all-threads list link, lgrp_move_thread and the "
   "choice of t_cpu under pidlock"},
  {Step::forklwp, "forklwp", FK | LF, "384-436 (lwp.c forklwp)", "-", "",
   1500, "lwp cloned",
   "guess: a kthread_t and its 24 KB stack from their caches, the context copied (a few "
   "KB) and lwp_create's bookkeeping; vfork's path, its guesses scaled together to the "
   "measured 17 us vfork call (docs/measurements.md)"},
  {Step::contract_fork, "contract_fork", FK | LF, "444-445 (contract/process.c)",
   "ct_lock", "", 700, "call",
   "guess: the child added to the parent's process contract: ct_lock, a list link and a "
   "hold"},
  {Step::forklwperr, "forklwperr", LF, "598-635", "-", "",
   2000, "call",
   "guess: shmexit, the lwpdir and tidhash freed and as_free of a copy no thread ever "
   "ran in (its pages are charged apart), ~2 us"},
  {Step::forklwperr_page, "forklwperr_page", LF, "614-616 (as_free)", "-", "",
   74, "page",
   "measured, as as_free_page: freeing one page of the duplicated anon map"},
  {Step::forklwp_fail_lwp, "forklwp_fail_lwp", LF, "636, 721-757 (forklwp_fail)",
   "zone_nlwps_lock, pidlock", "", 300, "lwp cloned",
   "guess: the all-threads unlink, CL_EXIT and cv_broadcast under pidlock (752-757)"},
  {Step::forklwp_fail_free, "forklwp_fail_free", LF, "764-775 (thread.c thread_free 789-791)",
   "pidlock", "", 100, "lwp cloned",
   "guess: nthread-- under pidlock"},
  {Step::fork_fail, "fork_fail", AF | LF, "278, 637, 678-706", "pidlock", "",
   1500, "call",
   "guess: fcnt_add, sigdelq, crfree, the file list freed, vnode releases; only "
   "upcount_dec (686-688) is under pidlock, and it is charged outside it"},
  {Step::fail_unlink, "fail_unlink", AF | LF, "279-297, 639-662 (pid.c pid_exit)",
   "pidlock, child p_lock, pidlinklock", "", 2000, "call",
   "guess: orphan and sibling unlink, task_detach, pid_exit, all under pidlock"},
  {Step::fork_finish, "fork_finish", FK, "451-515", "p_lock", "",
   400, "call",
   "guess: the child's microstate, context ops and /proc state set under p_lock, a few "
   "cache lines each"},
  {Step::pool_barrier_exit, "pool_barrier_exit", FK, "523-525", "p_lock", "",
   100, "call",
   "guess: one counter under p_lock"},
  {Step::fork_publish, "fork_publish", FK, "527-564", "pidlock, child p_lock", "",
   600, "call",
   "guess: the child made visible (state, pid hash, session counts) under pidlock; "
   "vfork's path, its guesses scaled together to the measured 17 us vfork call "
   "(docs/measurements.md)"},
  {Step::fork_publish_lwp, "fork_publish_lwp", FK, "547-563", "pidlock, child p_lock", "",
   200, "child lwp",
   "guess: one child LWP's entry set under pidlock, a few cache lines"},
  {Step::vfork_start, "vfork_start", VF, "566-573", "p_lock", "",
   200, "call",
   "guess: SVFWAIT, T_VFPARENT, the /proc broadcast, under pidlock"},
  {Step::vfork_setrun, "vfork_setrun", VF, "578-582", "child p_lock", "pidlock",
   400, "call",
   "guess: sigdefault resets a handful of signal actions and continuelwps(cp) sets one "
   "LWP running, after pidlock is dropped"},
  {Step::forkret, "forkret", F1 | FA, "591 (ts.c ts_forkret 740-742)",
   "child p_lock", "", 400, "call",
   "guess: continuelwps(cp) sets the child running; still under pidlock for TS "
   "(rt.c rt_forkret drops pidlock first)"},
  {Step::forkret_parent, "forkret_parent", F1 | FA, "591 (ts.c ts_forkret 744-765)",
   "p_lock", "pidlock", 600, "call",
   "guess: continuelwps(pp), the parent's new priority and setrun; TS then swtch()es "
   "so the child runs first"},
  {Step::vfwait, "vfwait", VF, "1316-1387", "pidlock, child p_lock, p_lock", "",
   300, "check",
   "guess: pidlock, prfind and a flag test under the child's p_lock, per check"},
  {Step::syscall_return, "syscall_return", ALLFORK | kBadCall, "596", "-", "",
   200, "call",
   "guess: the return to user mode, a few hundred cycles at 3 GHz"},
  {Step::forkerr, "forkerr", GF | AF | LF | kBadCall, "671-672", "-", "",
   100, "call",
   "guess: set_errno and the error return, a few dozen instructions"},
  {Step::child_start, "child_start", kChild, "509-511 (lwp_rtt in the child)", "-", "",
   1000, "call",
   "guess: lwp_rtt returns the new LWP to user mode, registers and FPU state restored; "
   "vfork's path, its guesses scaled together to the measured 17 us vfork call "
   "(docs/measurements.md)"},
  {Step::lwp_exit, "lwp_exit", kExit, "exit.c exitlwps; lwp.c lwp_exit 969-973, 1054-1061",
   "p_lock, zone_nlwps_lock, pidlock", "", 300, "other lwp",
   "guess: the all-threads unlink and cv_broadcast under pidlock, for each LWP but the "
   "last (a forkall child's); charged to the exiting thread, not run on other CPUs"},
  {Step::exit_prepare, "exit_prepare", kExit, "exit.c proc_exit before pidlock", "-", "",
   1500, "call",
   "guess: proc_exit's work before closeall and relvm in a small process (timers, doors, "
   "signals, acct and exacct records), ~1.5 us; a vfork child's parent waits for it, and "
   "the measured vfork call, whose child exits at once, is 17 us (docs/measurements.md)"},
  {Step::exit_file, "exit_file", kExit, "exit.c closeall", "-", "",
   60, "open file",
   "guess: closef of a file the parent also holds (every file is inherited): a reference "
   "dropped, no close"},
  {Step::exec_lookup, "exec_lookup", kExec, "exec.c exec_common 183-236 (pn_get, lookuppn)",
   "-", "", 15000, "call",
   "share: 15 us of the ~55 us by which the measured posix_spawn(/bin/true) call "
   "(72 us) exceeds the vfork call (17 us) (docs/measurements.md): exec's work before "
   "relvm, which the vfork parent waits for, split by guess as lookup 15, open 6, header "
   "12, arguments 25 us (Linux's exec also opens the interpreter and builds the new "
   "address space before it lets the parent go, so this may overstate illumos's own "
   "work)"},
  {Step::exec_open, "exec_open", kExec,
   "exec.c gexec 551-557 (execpermissions's VOP_GETATTR, VOP_OPEN)", "-", "",
   6000, "call",
   "share: 6 us of exec's ~55 us before relvm, from the measured posix_spawn call "
   "(exec_lookup's basis says how)"},
  {Step::exec_header, "exec_header", kExec,
   "exec.c gexec 564-570 (the magic, findexec_by_hdr); elf.c elfexec 301-305 (getelfhead, "
   "getelfphdr)", "-", "", 12000, "call",
   "share: 12 us of exec's ~55 us before relvm, from the measured posix_spawn call "
   "(exec_lookup's basis says how)"},
  {Step::exec_args, "exec_args", kExec,
   "exec.c exec_args 1727-1821 (stk_copyin; exitlwps, doors, timers, pool_barrier_enter)",
   "-", "", 25000, "call",
   "share: 25 us of exec's ~55 us before relvm, from the measured posix_spawn call "
   "(exec_lookup's basis says how)"},
  {Step::exec_relvm_vfork, "exec_relvm_vfork", kExec | kExit,
   "1214-1280 (relvm: exec.c exec_args 1829, exit.c proc_exit 576)",
   "child p_lock, parent p_lock", "", 500, "call",
   "guess: the two p_lock sections, SVFORK and SVFWAIT cleared and a cv_signal"},
  {Step::exec_relvm, "exec_relvm", kExec | kExit,
   "1281-1306 (relvm: exec.c exec_args 1829, exit.c proc_exit 576)",
   "p_lock", "", 70000, "call",
   "remainder: the measured fork + wait cycle of a small process, 147 us "
   "(docs/measurements.md), less the fork call (48 us), the other child, exit and wait "
   "steps here (~24 us) and two dispatches; charged to as_free of the forked child's "
   "copy (the hat's page tables, every segment and its anon map), the largest part of a "
   "small process's exit; a remainder, not a figure of its own, which also stands for "
   "what the model does not charge in that cycle (the first writes' copy-on-write "
   "faults, waking idle virtual CPUs)"},
  {Step::as_free_page, "as_free_page", kExec | kExit, "1304 (as_free)", "-", "",
   74, "page",
   "measured: fork + wait less the fork call grows 19.0 us per MB between 64 and 1,024 "
   "MB ((37,421 - 17,887) - (2,467 - 1,166) us over 960 MB, docs/measurements.md), 74 ns "
   "per page: the exit freeing the child's copy"},
  {Step::exec_new_as, "exec_new_as", kExec,
   "exec.c exec_args 1831-1891 (pool_barrier_exit, rctl_set_reset, as_alloc, hat_setup, "
   "stk_copyout)", "-", "", 5000, "call",
   "guess: as_alloc, hat_setup (a new page-table root), rctl_set_reset and stk_copyout "
   "of the arguments to the new stack (a few KB), ~5 us"},
  {Step::exec_load, "exec_load", kExec,
   "elf.c elfexec 510-866 (mapelfexec; ld.so.1 looked up, read and mapped; the aux vector)",
   "-", "", 30000, "call",
   "guess: mapelfexec's segments for the program and for ld.so.1 (about eight segvn "
   "mappings, ~1.5 us each), ld.so.1's lookup, open and header reads (~15 us, cached), "
   "the aux vector (~3 us)"},
  {Step::exec_finish, "exec_finish", kExec,
   "exec.c exec_common 291-496 (freectx, sigdefault, close_exec, setregs, the new lwpdir)",
   "-", "", 5000, "call",
   "guess: exec_common after gexec: context ops freed, signal actions reset, "
   "close_exec's scan of the open files, setregs, the new lwpdir, ~5 us"},

  {Step::contract_exit, "contract_exit", kExit,
   "exit.c proc_exit 610-617 (contract/process.c contract_process_exit 919-972)",
   "ct_lock, p_lock", "", 8000, "call",
   "guess: removal from the process contract with its EXIT and EMPTY events, each an "
   "nvlist built and queued (~3-4 us each); outside pidlock"},
  {Step::exit_proc, "exit_proc", kExit, "exit.c proc_exit 637-723", "pidlock", "",
   1500, "call",
   "guess: delete_ns, the orphan and child lists walked, under pidlock, ~1.5 us with "
   "exit_reparent's per-child part apart"},
  {Step::exit_reparent, "exit_reparent", kExit, "exit.c proc_exit 668-720",
   "pidlock", "", 200, "child",
   "guess: one child moved to init's list under pidlock, a few cache lines"},
  {Step::exit_zombie, "exit_zombie", kExit, "exit.c proc_exit 724-858",
   "pidlock, p_lock, zone_nlwps_lock", "", 3000, "call",
   "guess: CL_EXIT, microstate and rusage aggregation, SZOMB, rctl_set_free, the LWP "
   "counts under zone_nlwps_lock (799-803), lwpdir detach"},
  {Step::sigcld, "sigcld", kExit, "exit.c proc_exit 861 (sig.c sigcld 1698-1727)", "pidlock", "",
   200, "call",
   "guess: add_ns and cv_broadcast(&pp->p_cv) under pidlock"},
  {Step::post_sigcld, "post_sigcld", kExit, "sig.c post_sigcld 1752-1790",
   "pidlock, parent p_lock", "", 200, "call",
   "guess: queue SIGCLD to the parent; skipped for FORK_NOSIGCHLD (SIGCHLD is never "
   "ignored in the workloads)"},
  {Step::thread_exit, "thread_exit", kExit, "exit.c proc_exit 901 (thread.c thread_exit 617-622)",
   "pidlock", "", 300, "call",
   "guess: the all-threads unlink and cv_broadcast(&t->t_joincv)"},
  {Step::reaper_pass, "reaper_pass", kExit, "thread.c thread_reaper 899-956", "-", "",
   5000, "pass",
   "guess: mutex_sync, a cross-call to every CPU (944); a pass runs once more than "
   "reaplimit (16) threads are dead, then delay(hz)s, so at most once a second"},
  {Step::thread_reap, "thread_reap", kExit, "thread.c thread_reap_list, thread_free", "-", "",
   5000, "thread",
   "guess: the stack (segkp, freed with a TLB shootdown), the lwp and the kthread_t "
   "freed, ~5 us; outside pidlock"},
  {Step::thread_free, "thread_free", kExit, "thread.c thread_free 789-791", "pidlock", "",
   100, "thread",
   "guess: nthread-- under pidlock, once per dead thread, in the reaper's batch"},
  {Step::wait_reap, "wait_reap", kWait, "exit.c waitid", "pidlock", "",
   5000, "call",
   "guess: waitid's scan of the children, the zombie's status and rusage gathered and "
   "copied out, under pidlock, ~5 us"},
  {Step::freeproc, "freeproc", kWait, "exit.c freeproc, pid.c pid_exit",
   "pidlock, pidlinklock", "", 1200, "call",
   "guess: the zombie's proc_t and its pid freed, under pidlock and pidlinklock: a few "
   "list unlinks and two kmem frees"},
  {Step::sigcld_delete, "sigcld_delete", kWait, "exit.c waitid (sig.c sigcld_delete)",
   "p_lock", "", 150, "call",
   "guess: the reaped child's SIGCLD dequeued, after pidlock"},
  {Step::sigcld_repost, "sigcld_repost", kWait, "exit.c waitid 1031-1034 (sig.c sigcld_repost "
   "1799-1816)", "pidlock", "", 150, "call",
   "guess: a scan of the children for CLDPEND; pidlock is taken again for it"},
  {Step::ctxsw, "ctxsw", kSched, "disp.c swtch", "-", "",
   2500, "switch",
   "guess: a context switch, ~1 us of the dispatcher's own work on x86 plus ~1.5 us of "
   "cache and TLB refill"},
  {Step::mutex_handoff, "mutex_handoff", kSched, "mutex.c mutex_vector_enter", "-", "",
   150, "hand-off",
   "guess: a lock's cache line moving to the next owner's CPU, one cross-core miss"},
  {Step::mutex_backoff_unit, "mutex_backoff_unit", kSched,
   "mutex.c default_lock_delay, mutex_vector_enter", "-", "",
   100, "delay step",
   "guess: one MUTEX_DELAY step, mutex_delay_default's 92-iteration loop (\"approx a few "
   "hundred processor cycles\", intel/ia32/ml/lock_prim.s) plus a pause, taken as 300 cycles at "
   "3 GHz; a spinner waits 1 to backoff steps before each look (the mean, fixed for a run)"},
  {Step::mutex_sharer, "mutex_sharer", kSched,
   "mutex.c mutex_vector_exit, mutex_vector_enter (theory statement on spin traffic)", "-", "",
   10, "spinner",
   "guess: the release's store invalidating one more spinner's copy of the lock's line, "
   "charged to the next owner's hand-off; an invalidation and its acknowledgement per copy, "
   "mostly overlapped, so well under one ~100 ns cross-core transfer; the effect is "
   "documented (mutex.c: >20 waiters cut throughput 5x without backoff), its size is not"},
  // Write faults after fork (models/cow.cpp), on the writing thread. Lines
  // are those of vm/seg_vn.c and vm/vm_anon.c at the seed's revision.
  {Step::cow_fault_copy, "cow_fault_copy", kFault,
   "seg_vn.c segvn_dup 1669-1670 protects; segvn_fault 4873 -> segvn_faultpage (cow 2884, "
   "anon_private 3009; vm_anon.c anon_private 2305)", "-", "", 2575, "page",
   "measured: 2,500-2,650 ns per 4 KiB page written while the child "
   "still maps it (a copy-on-write fault and a 4 KiB copy), the middle of the range (docs/measurements.md)"},
  {Step::cow_fault_nocopy, "cow_fault_nocopy", kFault,
   "seg_vn.c segvn_faultpage 2630 (vm_anon.c anon_getpage 1836-1839: an_refcnt 1, "
   "writable, no copy)", "-", "", 760, "page",
   "measured: 730-790 ns per 4 KiB page written after the child has "
   "exited (the fault only makes the page writable again), the middle of the range (docs/measurements.md)"},
};

const std::vector<PathName> kPaths = {
  {"fork1", kFork1, "fork1/forkx, succeeding (libc fork())"},
  {"forkall", kForkall, "forkall/forkallx, succeeding"},
  {"vfork", kVfork, "vfork/vforkx, succeeding (posix_spawn, system, popen)"},
  {"child", kChild, "the child's first run"},
  {"exec", kExec, "exec in the child, in exec.c's order: lookup, open, header, arguments, "
   "relvm, then the new image"},
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
