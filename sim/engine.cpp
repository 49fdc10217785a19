#include "sim/engine.hpp"

#include <cmath>
#include <vector>
#include <xbt/log.h>

namespace forksim {

SimEngine::SimEngine(int ncpus, const EngineOptions& opt) {
  // Context settings must reach the Engine's constructor: set later, they
  // come too late for the context factory (SIMGRID.md).
  std::vector<std::string> args = {"forksim", "--cfg=contexts/factory:raw",
                                   "--log=root.thres:critical"};
  if (opt.stack_kb > 0)
    args.push_back("--cfg=contexts/stack-size:" + std::to_string(opt.stack_kb));
  if (!opt.guard_pages) args.push_back("--cfg=contexts/guard-size:0");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  engine_ = std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());
  xbt_log_control_set("root.thres:critical");

  auto* zone = simgrid::s4u::create_full_zone("machine");
  // Speed is irrelevant: CPU work is charged as sleeps behind the
  // dispatcher, never as execute() (SIMGRID.md: half the simcalls).
  host_ = zone->create_host("cpu", 1e9)->set_core_count(ncpus)->seal();
  zone->seal();
}

double tick_after(double now, int hz, long ticks) {
  double t = now * hz;
  double cur = std::floor(t);
  // A time that is a tick up to rounding counts as that tick.
  if (t - cur > 1 - 1e-9) cur += 1;
  return (cur + static_cast<double>(ticks)) / hz;
}

}  // namespace forksim
