// What the kernel model is configured with: the machine, the illumos
// tunables, the cost entries and the run's seed. The model owns these
// types; the scenario format (scenarios/scenario.hpp) fills them, so the
// model knows nothing of how a scenario is written.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "models/variants.hpp"
#include "sim/dist.hpp"

namespace forksim {

struct Machine {
  int ncpus = 8;
  double cpu_speed = 1.0;      // 1.0 = the reference the costs are given for
  int hz = 100;                // clock ticks per second (1000 with hires_tick)
  double physmem_mb = 16384;
  double swap_mb = 4096;       // disk swap
  int system_procs = 64;       // root-owned processes present before the run
  // Every TS and RT quantum of the dispatch tables (ticks at hz) times this.
  double ts_quantum_scale = 1.0;
};

struct Tunables {
  int max_nprocs = 30000;      // v.v_proc (derived from physmem if not given)
  int maxuprc = 29995;         // max_nprocs - reserved_procs if not given
  int reserved_procs = 5;
  int pidmax = 30000;
  // The defaults below are the derived values for the default machine, so that
  // Scenario{} is what parse_scenario({}) gives.
  double swapfs_minfree_mb = 2048;  // max(2 MB, physmem/8) if not given
  double swapfs_reserve_mb = 128;   // min(128 MB, max(4 MB, physmem/128)) if not given
  int zone_max_lwps = 0;            // zone.max-lwps rctl; 0: no limit, the default
};

struct KernelConfig {
  Machine machine;
  Tunables tunables;
  std::map<std::string, Dist> costs;  // by step name, "*" included (models/costs.hpp)
  uint64_t seed = 1;  // the run's: the kernel's own streams derive from it (sim/streams.hpp)
  KernelVariant kernel;  // default: the illumos code as it is (models/variants.hpp)
};

}  // namespace forksim
