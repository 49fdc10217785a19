// The SimGrid engine and the simulated SMP machine: one host with ncpus
// cores. One engine per process (a SimGrid limit, ../shared/SIMGRID.md), so
// a run is one process; sweeps and replications run many processes.
#pragma once
#include <simgrid/s4u.hpp>
#include <string>

namespace forksim {

struct EngineOptions {
  // Actor stacks: 0 keeps SimGrid's default (8 MiB with a guard page, which
  // catches overflows and is what tests use). Large fork bombs need small
  // stacks and no guard page: about 32,700 guarded actors exhaust the
  // kernel's mappings.
  int stack_kb = 0;
  bool guard_pages = true;
};

class SimEngine {
 public:
  SimEngine(int ncpus, const EngineOptions& opt = {});
  SimEngine(const SimEngine&) = delete;
  SimEngine& operator=(const SimEngine&) = delete;

  simgrid::s4u::Host* host() const { return host_; }
  simgrid::s4u::Engine& engine() { return *engine_; }
  static double now() { return simgrid::s4u::Engine::get_clock(); }

 private:
  std::unique_ptr<simgrid::s4u::Engine> engine_;
  simgrid::s4u::Host* host_ = nullptr;
};

// The time of the clock tick `ticks` ticks after the current one, as the
// kernel's delay(ticks) wakes: delay(1) just before a tick is short, which is
// the real kernel's behaviour too.
double tick_after(double now, int hz, long ticks);

}  // namespace forksim
