// The costs the model charges, resolved from the scenario's `costs` table:
// an explicit entry for the step, else the "*" entry, else the catalogue's
// default. Every time the model charges comes through here. Each step draws
// from its own stream (sim/streams.hpp), so one step's distribution leaves
// every other step's draws, and the workload's, as they were.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/steps.hpp"
#include "sim/dist.hpp"
#include "sim/streams.hpp"

namespace forksim {

class CostTable {
 public:
  // seed: the run's; the table derives the steps' streams from it.
  CostTable(const std::map<std::string, Dist>& overrides, uint64_t seed);
  const Dist& dist(Step s) const { return d_[static_cast<size_t>(s)]; }
  // Nanoseconds at cpu_speed 1.0 for `units` units of the step. A step with
  // a distribution draws once per call, whatever the units.
  double ns(Step s, double units = 1.0) {
    size_t i = static_cast<size_t>(s);
    const Dist& d = d_[i];
    if (d.kind == Dist::Kind::Fixed) return d.a * units;
    return d.sample(*rngs_[i]) * units;
  }
 private:
  std::vector<Dist> d_;
  // By Step, only for the steps whose cost is a distribution: a stream is
  // 2.5 KB and seeding one is not free, which for a short run (a sweep's
  // thousands of them, each its own process) was 7% of its CPU time. The
  // stream a step gets does not depend on which others have one.
  std::vector<std::unique_ptr<Rng>> rngs_;
};

}  // namespace forksim
