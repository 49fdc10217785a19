#include "models/costs.hpp"

namespace forksim {

CostTable::CostTable(const std::map<std::string, Dist>& overrides, uint64_t seed) {
  auto star = overrides.find("*");
  for (const auto& info : step_catalogue()) {
    auto it = overrides.find(info.name);
    if (it != overrides.end())
      d_.push_back(it->second);
    else if (star != overrides.end())
      d_.push_back(star->second);
    else
      d_.push_back(Dist::fixed(info.cost_ns));
    const uint64_t index = d_.size() - 1;
    rngs_.push_back(d_.back().kind == Dist::Kind::Fixed
                        ? nullptr
                        : std::make_unique<Rng>(stream_rng(seed, Stream::StepCost, index)));
  }
}

}  // namespace forksim
