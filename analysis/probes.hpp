// What the model measures, as plain data: the model writes it, the analysis
// reads it. Nothing here knows SimGrid or formats output.
//
// Everything counts only inside the measurement window [window_start,
// window_end] (warm-up excluded), except the process high-water marks and
// the end-of-run invariants, which cover the whole run.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analysis/histogram.hpp"

namespace forksim {

// One lock name: a global lock (pidlock) is one instance; a per-process lock
// (p_lock) has one instance per proc structure the run made, each reused by
// later processes once its process is freed.
// One caller's figures for one lock name, as lockstat(8) keeps them per
// (lock, caller): acquisitions that began in the window, with their spin
// and block events (a contended acquisition may have both), and the holds
// released in the window, each whole.
struct LockCallerStats {
  uint64_t acquisitions = 0;
  uint64_t contended = 0;
  uint64_t spin_events = 0;    // spun before taking it (mutex.c LS_MUTEX_ENTER_SPIN)
  double spin_s = 0;           // their time on CPU spinning, sleeps excluded
  uint64_t block_events = 0;   // slept on the turnstile (LS_MUTEX_ENTER_BLOCK)
  double block_s = 0;          // their time asleep, to back on a CPU
  uint64_t hold_events = 0;    // lockstat -H
  double hold_s = 0;
  double hold_max_s = 0;
};

struct LockStats {
  uint64_t acquisitions = 0;
  uint64_t contended = 0;      // acquisitions that found the lock held
  double wait_sum_s = 0;       // over contended acquisitions
  double wait_max_s = 0;
  double hold_sum_s = 0;       // over all acquisitions and all instances
  double instance_hold_max_s = 0;  // the busiest instance's hold time
  double spin_cpu_s = 0;       // CPU burnt by waiters spinning on a running owner
  uint64_t instances = 1;      // per-process locks (p_lock): how many were made
  // Indexed by caller (Probes::lock_sites); grown on first use.
  std::vector<LockCallerStats> callers;
  LockCallerStats& caller(uint16_t site) {
    if (site >= callers.size()) callers.resize(site + 1u);
    return callers[site];
  }
};

// A lock caller's name: the model's step, and the source lines it stands for.
struct LockSiteName {
  std::string name;
  std::string lines;
};

// Write faults on the pages a fork of this path protected (segvn_dup), on
// the writing process's thread.
struct FaultStats {
  uint64_t faults = 0;
  uint64_t copies = 0;         // of those, copy-on-write (another process still mapped the page)
  double cpu_s = 0;            // fault CPU time
  // Per fork after which the parent faulted: from the fork to its last
  // protected page's write, or to the end of the protection (another fork,
  // exec, exit). Counted where it ends.
  Histogram slowed_s;
};

struct PathStats {
  uint64_t attempts = 0;
  uint64_t successes = 0;
  std::map<std::string, uint64_t> failures;  // errno name -> count
  Histogram latency;           // call entry to return in the caller, successes
  std::map<std::string, Histogram> failure_latency;  // errno name -> the same, failures
  FaultStats write_faults;
};

// The open workload's requests. A request is served when its fork returns in
// the parent (success or failure); like a path's calls, it counts where it
// is served. The queue holds requests that no process has taken yet.
struct RequestStats {
  uint64_t offered = 0;        // arrivals inside the window
  Histogram latency;           // served in the window: arrival to the fork's return
  Histogram wait;              // taken in the window: arrival to a process taking it
  uint64_t waited = 0;         // of those, the ones that waited (wait > 0)
  uint64_t waiting_max = 0;    // longest queue (whole run)
  uint64_t queue_start = 0;    // queue length when the window opened
  // At the end of the window: the requests still queued, censored
  // observations of latency (their ages: at least this long).
  uint64_t unserved_at_end = 0;
  double unserved_age_sum_s = 0;
  double unserved_age_max_s = 0;
};

// A service's own figures beside its RequestStats (there, a request is
// served when its worker finishes it). A hold is one fork's stop of the
// workers: holdlwps setting the process's holder to continuelwps. A request
// is near a fork when its time in the system (arrival to completion)
// overlaps a hold, away from forks otherwise.
struct ServiceStats {
  Histogram stall;             // holds ending in the window: their lengths
  Histogram near_fork;         // latency of requests served in the window, near a hold
  Histogram away_from_fork;    // the others
  double queue_area = 0;       // integral over the window of the queue's length (request-s)
  uint64_t queue_max = 0;      // longest queue inside the window
};

struct BackoffStats {
  uint64_t failures = 0;       // getproc failures (the ones that back off)
  uint64_t delays = 0;
  double delay_total_s = 0;
  int fork_fail_pending_max = 0;
  std::map<std::string, uint64_t> by_reason;  // "out of processes", ...
};

// fork_bomb's retry policy: a sleep counts where it ends, a give-up where
// it happens, inside the window.
struct RetryStats {
  uint64_t sleeps = 0;          // the policy's sleeps between attempts
  double sleep_total_s = 0;
  uint64_t gave_up = 0;         // processes that ended their attempts (bash)
  uint64_t gave_up_sleeps = 0;  // the sleeps before those give-ups
  Histogram gave_up_sleep_s;    // per give-up, its sleeps' total (bash: 1+2+4+8 s)
};

// The machine at one sample, t_s = i * timeseries_s; the rates are over
// the interval since the sample before (0 at the first).
struct TimeSample {
  double t_s = 0;
  int nproc = 0;
  double failures_per_s = 0;   // fork failures (all causes) in the last period
  int fork_fail_pending = 0;
  int runnable = 0;            // threads on CPU or waiting for one
  double forks_per_s = 0;      // successful forks of the workloads' paths in the last period
  double cpu_utilization = 0;  // busy CPU time in the last period / (ncpus x period)
  int runq = 0;                // threads waiting for a CPU (runnable, not on one)
};

// What one workload measures of its own. A single workload's are the
// report's top level; each group of a composite machine has its own (the
// report's groups.<name>), and the top level's paths are then their sum.
struct GroupProbes {
  // After the drain (a composite machine's groups): its processes not yet
  // freed, 0 when every one exited and was reaped; -1 when not checked.
  int procs_after_drain = -1;
  std::map<std::string, PathStats> paths;   // "fork1", "forkall", "vfork"
  std::map<std::string, uint64_t> failures_by_reason;  // "out of processes", ...

  // fork_bomb's privileged probe.
  bool admin_probe_enabled = false;
  PathStats admin_probe;

  // Open and service workloads only.
  bool requests_enabled = false;
  RequestStats requests;
  // Service workload only.
  bool service_enabled = false;
  ServiceStats service;

  // Interactive only: each wake-up's response, from its scheduled time to
  // the end of its CPU work, for work that ended in the window.
  bool response_enabled = false;
  Histogram response;

  // The group's latencies over time, one value per time-series sample
  // (aligned with Probes::timeseries): column name ("admin_latency_s",
  // "response_s", ...) -> the mean of those that ended in the interval
  // before the sample, NaN where none did.
  std::map<std::string, std::vector<double>> series;
};

struct Probes : GroupProbes {
  double window_start_s = 0;
  double window_end_s = 0;

  std::map<std::string, LockStats> locks;   // "pidlock", "p_lock", ...
  std::vector<LockSiteName> lock_sites;     // LockStats::callers' index -> caller
  BackoffStats backoff;

  // A composite machine's groups, in the scenario's order; empty for a
  // single workload, whose results are the inherited top level.
  std::vector<std::pair<std::string, GroupProbes>> groups;

  // fork_bomb only: its retries, and the processes born in each of the
  // first generations (index 0: the initial ones) up to duration_s.
  bool retry_enabled = false;
  RetryStats retry;
  std::vector<uint64_t> born_by_generation;

  // Processes (whole run).
  int nproc_start = 0;
  int nproc_max = 0;
  int nproc_end = 0;

  // CPU, inside the window.
  int ncpus = 0;
  double cpu_busy_s = 0;       // sum over CPUs of time a thread held them
  double runq_wait_sum_s = 0;  // time runnable threads waited for a CPU
  uint64_t dispatches = 0;

  // Memory.
  double reserved_mb = 0;      // current swap reservation
  double reserved_max_mb = 0;
  uint64_t enomem_failures = 0;

  std::vector<TimeSample> timeseries;

  // Engine work, for the benchmarks: events are the model's waits that the
  // engine resumed (a CPU burst, a lock, a sleep, a child), rounds the
  // distinct times SimGrid advanced its clock to.
  uint64_t engine_events = 0;
  uint64_t engine_rounds = 0;

  // Whether the run reached its end (false if stopped by a guard), and if
  // not, why and in which phase ("set-up", "run" or "drain"). An
  // incomplete run has no invariants: no drain checked them.
  bool complete = true;
  std::string incomplete_reason;
  std::string incomplete_phase;
  double sim_time_s = 0;       // simulated time reached

  // End-of-run invariants (checked after the drain; see workloads).
  struct Invariants {
    bool drained = false;        // every workload process has exited and been reaped
    int nproc_after_drain = 0;
    int pids_after_drain = 0;        // pids (and /proc slots) still taken
    std::map<int, int> upcount_after_drain;   // uid -> count
    double reserved_mb_after_drain = 0;
    int locks_held_after_drain = 0;
    int threads_blocked_after_drain = 0;
    int nproc_limit_violations = 0;   // times nproc was seen above v_proc
    // Pages forks protected minus write faults minus protections dropped:
    // 0 when every fault counted belongs to a page a fork protected.
    int64_t cow_page_balance = 0;
  } invariants;

  bool in_window(double t) const { return t >= window_start_s && t <= window_end_s; }
};

}  // namespace forksim
