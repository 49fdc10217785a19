// A process as the fork model sees it: the proc_t fields fork.c reads or
// writes, its locks, and the one thread (LWP) forksim runs for it. The
// process's other LWPs are a count: they cost holdlwps and forkall time but
// run no code of their own.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/kcondvar.hpp"
#include "sim/kmutex.hpp"
#include "sim/kthread.hpp"

namespace forksim {

// p_flag bits holdlwps() looks at (lwp.c).
enum ProcFlag : uint32_t {
  SHOLDFORK = 1u << 0,    // an LWP is in forkall
  SHOLDFORK1 = 1u << 1,   // an LWP is in fork1 or vfork
  SEXITLWPS = 1u << 2,    // the process is exiting
  SVFORK = 1u << 3,       // child running on its parent's address space
  SVFWAIT = 1u << 4,      // parent waiting for its vfork child
};

struct Proc {
  Proc(LockStats& plock_stats, LockStats& rcs_stats, LockStats& as_stats,
       const MutexCosts& costs)
      : p_lock(plock_stats, costs), rcs_lock(rcs_stats, costs), as_lock(as_stats, costs) {}

  enum class Stat : uint8_t { Idl, Run, Zomb };  // SIDL, SRUN, SZOMB

  int pid = -1;
  int uid = 0;
  bool privileged = false;   // secpolicy_newproc() passes
  bool rt = false;           // RT class: parent keeps the CPU after fork
  double writable_mb = 0;    // private writable memory, resident
  double reserved_mb = 0;    // swap reservation held for it
  bool has_as = true;        // false once relvm() gave its address space up
  int lwps = 1;
  int open_files = 0;
  Stat stat = Stat::Idl;
  uint32_t flags = 0;

  Proc* parent = nullptr;    // nullptr: a parent outside the model (init)
  // p_child / p_sibling / p_psibling: the children, living or zombie.
  Proc* child = nullptr;
  Proc* sibling = nullptr;
  Proc* psibling = nullptr;
  int nchildren = 0;
  std::vector<Proc*> zombies;  // children to reap, oldest first

  KMutex p_lock;
  KMutex rcs_lock;           // the process's rctl set lock
  KMutex as_lock;            // its address space lock
  KCondVar p_cv;             // wait() for children, vfwait(), holdlwps

  std::unique_ptr<Kthread> thread;                     // the main LWP
  std::vector<std::unique_ptr<Kthread>> more_threads;  // other forking LWPs
  uint8_t role = 0;          // the workload's: what this process and its children run
};

}  // namespace forksim
