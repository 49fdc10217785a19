#include "models/costs.hpp"

namespace forksim {

CostTable::CostTable(const std::map<std::string, Dist>& overrides, uint64_t seed) {
  auto star = overrides.find("*");
  for (const auto& info : step_catalogue()) {
    rngs_.push_back(stream_rng(seed, Stream::StepCost, d_.size()));
    auto it = overrides.find(info.name);
    if (it != overrides.end())
      d_.push_back(it->second);
    else if (star != overrides.end())
      d_.push_back(star->second);
    else
      d_.push_back(Dist::fixed(info.cost_ns));
  }
}

}  // namespace forksim
