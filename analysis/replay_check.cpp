#include "analysis/replay_check.hpp"

#include <set>

#include "analysis/stats.hpp"

namespace forksim {

std::vector<MetricDifference> metric_differences(const nlohmann::json& recorded,
                                                 const nlohmann::json& replayed,
                                                 std::size_t* compared) {
  const auto a = numeric_metrics(recorded), b = numeric_metrics(replayed);
  std::set<std::string> names;
  for (const auto* m : {&a, &b})
    for (const auto& [name, v] : *m) names.insert(name);
  if (compared) *compared = names.size();
  std::vector<MetricDifference> out;
  auto find = [](const std::map<std::string, double>& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? std::nullopt : std::optional<double>(it->second);
  };
  for (const std::string& name : names) {
    MetricDifference d{name, find(a, name), find(b, name)};
    if (d.recorded != d.replayed) out.push_back(d);
  }
  return out;
}

}  // namespace forksim
