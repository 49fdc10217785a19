#include "analysis/bottleneck.hpp"

namespace forksim {

std::optional<Bottleneck> find_bottleneck(const std::map<std::string, double>& metrics) {
  Bottleneck b;
  if (auto it = metrics.find("cpu.utilization"); it != metrics.end()) b.utilizations["cpu"] = it->second;
  const std::string prefix = "locks.";
  for (auto it = metrics.lower_bound(prefix); it != metrics.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    const std::string rest = it->first.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string::npos) continue;
    const std::string name = rest.substr(0, dot), field = rest.substr(dot + 1);
    if (field == "utilization_max")
      b.utilizations[name] = it->second;
    else if (field == "utilization" && !metrics.count(prefix + name + ".utilization_max"))
      b.utilizations[name] = it->second;
    else if (field == "spin_cpu_s" && it->second > 0)
      if (auto busy = metrics.find("cpu.busy_s"); busy != metrics.end() && busy->second > 0)
        b.cpu_spinning[name] = it->second / busy->second;
  }
  if (b.utilizations.empty()) return std::nullopt;
  // A tie goes to the name first in alphabetical order.
  for (const auto& [name, u] : b.utilizations)
    if (b.resource.empty() || u > b.utilization) b.resource = name, b.utilization = u;
  return b;
}

nlohmann::json bottleneck_json(const Bottleneck& b) {
  nlohmann::json j = {{"resource", b.resource}, {"utilization", b.utilization}};
  if (b.resource == "cpu" && !b.cpu_spinning.empty()) {
    double total = 0;
    for (const auto& [name, f] : b.cpu_spinning) total += f;
    j["cpu_spinning"] = {{"total", total}, {"by_lock", b.cpu_spinning}};
  }
  return j;
}

nlohmann::json utilizations_json(const Bottleneck& b) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, u] : b.utilizations) j[name] = u;
  return j;
}

}  // namespace forksim
