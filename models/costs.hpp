// The costs the model charges, resolved from the scenario's `costs` table:
// an explicit entry for the step, else the "*" entry, else the catalogue's
// default. Every time the model charges comes through here.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/steps.hpp"
#include "sim/dist.hpp"

namespace forksim {

class CostTable {
 public:
  explicit CostTable(const std::map<std::string, Dist>& overrides);
  const Dist& dist(Step s) const { return d_[static_cast<size_t>(s)]; }
  // Nanoseconds at cpu_speed 1.0 for `units` units of the step. A step with
  // a distribution draws once per call, whatever the units.
  double ns(Step s, Rng& rng, double units = 1.0) const {
    const Dist& d = d_[static_cast<size_t>(s)];
    if (d.kind == Dist::Kind::Fixed) return d.a * units;
    return d.sample(rng) * units;
  }
 private:
  std::vector<Dist> d_;
};

}  // namespace forksim
