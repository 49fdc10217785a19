// The reference fork micro-model that the peer programs (a hand-written
// event heap, plain SimGrid, SimPy) implement, on forksim's own engine:
// Kthreads as coroutines (sim/coro.hpp, sim/engine.hpp) behind the
// Dispatcher's CPUs (SYS class: one FIFO queue), not the illumos model of
// models/. It times the engine on the same work the peers do.
//
// The model: `cpus` CPUs, `parents` parents in a closed loop with no think
// time. A fork is 12 CPU bursts of {2,3,1,5,2,20,3,2,4,2,6,3} us; the 3rd
// holds the parent's own p_lock, the 5th and 11th the global pidlock, each
// lock taken before the burst asks for a CPU and dropped after the CPU is
// given back. The child then runs 10 us, and exits holding pidlock around
// 3 us; the parent waits for that exit, and a fork counts when it sees it
// at a time <= the horizon. Locks are handed to their first waiter in
// arrival order (the peers' semantics, not KMutex's adaptive spinning).
#pragma once
#include <cstdint>

namespace forksim {

struct RefForkRun {
  int64_t forks = 0;
  uint64_t events = 0;  // the engine's resumptions
  uint64_t rounds = 0;  // SimGrid timer rounds
  double wall_s = 0;    // the event loop alone, as the peers time theirs
};

// One run (one SimEngine: one per process). horizon_us: the horizon T in
// whole microseconds.
RefForkRun run_ref_fork(int cpus, int parents, int64_t horizon_us);

}  // namespace forksim
