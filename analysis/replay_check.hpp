// The check behind `forksim run --replay`: a report is a pure function of
// (resolved scenario, seed), so a rerun must give every figure bit for bit.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forksim {

struct MetricDifference {
  std::string name;
  std::optional<double> recorded, replayed;  // absent: the metric is not on that side
};

// Every numeric metric (numeric_metrics, stats.hpp) of the two reports that
// is not exactly equal or is on one side only, in name order; `compared` is
// set to how many metrics the two have between them.
std::vector<MetricDifference> metric_differences(const nlohmann::json& recorded,
                                                 const nlohmann::json& replayed,
                                                 std::size_t* compared = nullptr);

}  // namespace forksim
