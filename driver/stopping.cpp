#include "driver/stopping.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "analysis/stats.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

int StopRule::initial() const {
  if (!precision) return replications;
  return std::min(precision->max_replications, std::max(replications, kMinPrecisionReplications));
}

int StopRule::most() const { return precision ? precision->max_replications : replications; }

std::optional<double> rel_half_width(const std::vector<std::optional<double>>& values, double level) {
  std::vector<double> xs;
  for (const auto& v : values) {
    if (!v) return std::nullopt;
    xs.push_back(*v);
  }
  if (xs.size() < 2) return std::nullopt;
  return t_interval(xs, level).rel_half_width();
}

std::optional<Stopped> decide(const StopRule& rule, const std::vector<std::optional<double>>& values) {
  const int n = static_cast<int>(values.size());
  if (!rule.precision) {
    if (n >= rule.replications) return Stopped{"asked", std::nullopt};
    return std::nullopt;
  }
  if (n < rule.initial()) return std::nullopt;
  std::optional<double> rel = rel_half_width(values, rule.level);
  if (rel && *rel <= rule.precision->target) return Stopped{"precision reached", rel};
  if (n >= rule.most()) return Stopped{"max replications", rel};
  return std::nullopt;
}

void check_rule(const StopRule& rule) {
  constexpr int kMost = 100000;
  if (rule.replications < 1 || rule.replications > kMost)
    throw ScenarioError("--replications", "must be an integer from 1 to " + std::to_string(kMost) +
                                              ", got " + std::to_string(rule.replications));
  if (!rule.precision) return;
  const Precision& p = *rule.precision;
  // A fraction: "2" read as 200% would stop at the first look, which is
  // never what was meant.
  if (!(std::isfinite(p.target) && p.target > 0 && p.target < 1)) {
    std::ostringstream got;
    got << p.target;
    throw ScenarioError("--precision", "must be a relative half-width between 0 and 1 (0.02 for 2%), got " +
                                           got.str());
  }
  if (p.max_replications < 2 || p.max_replications > kMost)
    throw ScenarioError("--max-replications",
                        "must be an integer from 2 to " + std::to_string(kMost) + ", got " +
                            std::to_string(p.max_replications));
  if (rule.replications > p.max_replications)
    throw ScenarioError("--replications", "is more than --max-replications (" +
                                              std::to_string(rule.replications) + " > " +
                                              std::to_string(p.max_replications) + ")");
}

}  // namespace forksim
