#include "driver/metric_name.hpp"

#include <vector>

#include "analysis/stats.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

std::string unknown_metric(const nlohmann::json& report, const std::string& name,
                           const std::string& option) {
  std::map<std::string, double> m = numeric_metrics(report);
  if (m.count(name)) return "";
  auto dot = name.rfind('.');
  if (dot != std::string::npos) {
    nlohmann::json::json_pointer ptr;
    std::string parent = name.substr(0, dot);
    for (std::size_t b = 0, e; b <= parent.size(); b = e + 1) {
      e = parent.find('.', b);
      if (e == std::string::npos) e = parent.size();
      ptr /= parent.substr(b, e - b);
    }
    if (report.contains(ptr)) {
      const nlohmann::json& obj = report.at(ptr);
      if (obj.is_object() && obj.contains("too_few_samples"))
        for (const auto& leaf : obj["too_few_samples"])
          if (leaf == name.substr(dot + 1)) return "";
    }
  }
  std::vector<std::string> names;
  for (const auto& [k, v] : m) names.push_back(k);
  return option + ": unknown metric " + in_quotes(name) + " (the dotted key of a numeric figure "
         "of the run report, e.g. throughput.forks_per_s)" + did_you_mean(name, names);
}

}  // namespace forksim
