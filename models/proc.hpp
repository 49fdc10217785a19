// A process as the fork model sees it: the proc_t fields fork.c reads or
// writes, its locks, and the threads (LWPs) forksim runs for it: the main
// one and, for a workload parent, its other forking LWPs. The rest of its
// LWPs are a count: they are stopped by holdlwps and cloned by forkall but
// run no code of their own.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/kcondvar.hpp"
#include "sim/kmutex.hpp"
#include "sim/kthread.hpp"
#include "sim/pool.hpp"
#include "sim/ptr_list.hpp"

namespace forksim {

struct Proc;

constexpr double kPagesPerMb = 256.0;  // 4 KiB pages

// p_flag bits holdlwps() looks at (lwp.c).
enum ProcFlag : uint32_t {
  SHOLDFORK = 1u << 0,    // an LWP is in forkall
  SHOLDFORK1 = 1u << 1,   // an LWP is in fork1 or vfork
  SEXITLWPS = 1u << 2,    // the process is exiting
  SVFORK = 1u << 3,       // child running on its parent's address space
  SVFWAIT = 1u << 4,      // parent waiting for its vfork child
};

// Copy-on-write after fork (models/cow.cpp). The process writes its
// resident pages in one sequential sweep, so the pages a fork protected and
// not yet written are the next `protected_pages` of the sweep.
struct CowState {
  uint64_t protected_pages = 0;  // write-protected by the last fork, not yet written
  double write_carry = 0;        // a fraction of a page written, carried over
  Proc* source = nullptr;        // the parent whose pages this child maps, until its relvm
  double since_s = 0;            // when the last fork protected them
  uint64_t faults_since = 0;     // faults taken since
  int sharers = 0;               // fork children still mapping these pages
  uint8_t path = 0;              // the ForkPath that protected them
};

// A process's other forking LWPs and holdlwps's lists of them: out of a
// Proc, since a process with one LWP (every fork bomb process) never uses
// them. `in_kernel` are the LWPs inside a system call and not asleep in it:
// a hold waits for them to reach a hold point. `in_user` do user-mode work
// that a hold must stop (Kernel::user_work): poked, they stop at once and
// count in lwprcnt until they have. `must_stop` are those a hold waits for.
struct OtherLwps {
  std::vector<std::unique_ptr<Kthread>> threads;
  PtrList<Kthread*> in_kernel;
  PtrList<Kthread*> in_user;
  PtrList<Kthread*> must_stop;
  KCondVar p_holdlwps;       // the forker waits here for the others to stop
  KCondVar stopped_cv;       // stopped LWPs wait here for continuelwps (TS_CSTART)
};

// The fields are ordered for packing, not by topic: a million processes.
struct Proc {
  Proc(const LockClass& plock, const LockClass& rcs, const LockClass& as)
      : p_lock(plock), rcs_lock(rcs), as_lock(as) {}

  // From the pool (sim/pool.hpp), as Kthread: a million of them in a big table.
  static void* operator new(std::size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }

  enum class Stat : uint8_t { Idl, Run, Zomb };  // SIDL, SRUN, SZOMB

  int pid = -1;
  int uid = 0;
  int lwps = 1;
  int open_files = 0;
  uint32_t flags = 0;
  // Children made runnable and not yet zombies: each may take this
  // process's p_lock (post_sigcld), so p_lock is not private meanwhile.
  int running_children = 0;
  bool privileged = false;   // secpolicy_newproc() passes
  bool has_as = true;        // false once relvm() gave its address space up
  bool nosigchld = false;    // CLDNOSIGCHLD: forked with FORK_NOSIGCHLD, no post_sigcld
  // A vfork child whose parent's vfwait may still take its p_lock (seed
  // 1326-1336), even after SVFORK is cleared.
  bool vfwaited = false;
  Stat stat = Stat::Idl;
  uint8_t role = 0;          // the workload's: what this process and its children run
  uint16_t group = 0;        // the workload's: which of a machine's workloads it belongs to
  // Private writable memory: its whole size, which a fork must reserve
  // (anon_resv), and the pages present, which as_dup write-protects and
  // as_free releases.
  double private_mb = 0;
  double resident_mb = 0;
  double reserved_mb = 0;    // swap reservation held for it
  CowState cow;

  Proc* parent = nullptr;    // nullptr: a parent outside the model (init)
  // p_child / p_sibling / p_psibling: the children, living or zombie.
  Proc* child = nullptr;
  Proc* sibling = nullptr;
  Proc* psibling = nullptr;
  PtrList<Proc*> zombies;  // children to reap, oldest first

  KMutex p_lock;
  KMutex rcs_lock;           // the process's rctl set lock
  KMutex as_lock;            // its address space lock
  KCondVar p_cv;             // wait() for children, vfwait()

  // holdlwps (lwp.c), for the threads forksim runs. `holder` is the LWP
  // whose fork has the others stopped: from holdlwps setting its flag until
  // its continuelwps; `lwprcnt` counts the LWPs the hold still waits for
  // (p_lwprcnt, without the LWPs that run no code, which holdlwps_stop
  // times). The rest of its state is `others`'.
  int lwprcnt = 0;
  int nchildren = 0;         // (here for packing)
  Kthread* holder = nullptr;
  double held_from_s = 0;    // when the current (or last) hold began

  std::unique_ptr<Kthread> thread;   // the main LWP
  std::unique_ptr<OtherLwps> others;  // made with the first other forking LWP

  // No other LWP runs code: nothing to hold, nobody reads this one's state.
  bool single_lwp() const { return !others || others->threads.empty(); }
  OtherLwps& other_lwps() {
    if (!others) others = std::make_unique<OtherLwps>();
    return *others;
  }
};

}  // namespace forksim
