#include "driver/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "analysis/stats.hpp"
#include "driver/slo_search.hpp"

namespace forksim {

nlohmann::json scale_cost(const nlohmann::json& value, double factor) {
  if (value.is_number()) return value.get<double>() * factor;
  if (!value.is_object() || !value.contains("dist") || !value["dist"].is_string())
    throw std::invalid_argument("a cost is a number or {\"dist\": ...}, got " + value.dump());
  const std::string dist = value["dist"];
  nlohmann::json v = value;
  auto scale = [&](const char* field) {
    if (!v.contains(field) || !v[field].is_number())
      throw std::invalid_argument("a " + dist + " cost needs a number \"" + field + "\", got " + value.dump());
    v[field] = v[field].get<double>() * factor;
  };
  if (dist == "exponential" || dist == "lognormal") {
    scale("mean");
  } else if (dist == "uniform") {
    scale("min");
    scale("max");
  } else {
    throw std::invalid_argument("cannot scale a cost of distribution '" + dist + "'");
  }
  return v;
}

namespace {

// The metric in each report, in order; reports without it are left out
// with their index, so that a pair is compared only where both have it.
std::vector<std::optional<double>> values(const std::vector<nlohmann::json>& reports,
                                          const std::string& metric) {
  std::vector<std::optional<double>> out;
  for (const auto& r : reports) {
    const auto m = numeric_metrics(r);
    auto it = m.find(metric);
    out.push_back(it == m.end() ? std::nullopt : std::optional<double>(it->second));
  }
  return out;
}

nlohmann::json interval_of(const std::vector<std::optional<double>>& xs, double level) {
  std::vector<double> v;
  for (const auto& x : xs)
    if (x) v.push_back(*x);
  if (v.empty()) return nullptr;
  return interval_json(t_interval(v, level));
}

PointRequest at(const CostEntry& c, double factor, const std::vector<uint64_t>& seeds) {
  return {{"costs." + c.step + "=" + scale_cost(c.value, factor).dump()}, seeds};
}

}  // namespace

nlohmann::json sensitivity(const std::vector<CostEntry>& costs, const PointRunner& run,
                           const SensitivityOptions& opt) {
  if (!(opt.delta > 0 && opt.delta < 1))
    throw std::invalid_argument("the relative change of the costs must be in (0, 1)");
  if (opt.replications < 1) throw std::invalid_argument("at least one replication");
  std::vector<uint64_t> seeds;
  for (std::size_t i = 0; i < opt.replications; ++i) seeds.push_back(opt.seed + i);  // mod 2^64

  auto base = run({PointRequest{{}, seeds}});
  require_metric(opt.metric, base.at(0).at(0), "--metric");

  nlohmann::json skipped = nlohmann::json::array();
  std::vector<const CostEntry*> varied;
  std::vector<PointRequest> batch;
  for (const CostEntry& c : costs) {
    if (c.mean_ns == 0) {
      skipped.push_back({{"cost", c.step}, {"reason", "its cost is 0: scaling it changes nothing"}});
      continue;
    }
    varied.push_back(&c);
    batch.push_back(at(c, 1 - opt.delta, seeds));
    batch.push_back(at(c, 1 + opt.delta, seeds));
  }
  auto reports = batch.empty() ? std::vector<std::vector<nlohmann::json>>{} : run(batch);

  struct Row {
    nlohmann::json j;
    std::optional<double> key;  // |mean elasticity|
  };
  std::vector<Row> rows;
  for (std::size_t k = 0; k < varied.size(); ++k) {
    const CostEntry& c = *varied[k];
    const auto lo = values(reports[2 * k], opt.metric), hi = values(reports[2 * k + 1], opt.metric);
    std::vector<double> e;
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      if (!lo[i] || !hi[i]) continue;
      const double sum = *hi[i] + *lo[i];
      if (*hi[i] == *lo[i]) e.push_back(0);
      else if (sum != 0) e.push_back((*hi[i] - *lo[i]) / sum / opt.delta);
    }
    Row r;
    r.j = {{"cost", c.step},
           {"basis", c.basis},
           {"basis_note", c.basis_note},
           {"set_by_scenario", c.set_by_scenario},
           {"cost_ns", c.mean_ns},
           {"elasticity", nullptr},
           {"low", interval_of(lo, opt.level)},
           {"high", interval_of(hi, opt.level)}};
    if (!e.empty()) {
      Interval iv = t_interval(e, opt.level);
      r.j["elasticity"] = interval_json(iv);
      r.key = std::abs(iv.mean);
    }
    if (e.size() < seeds.size())
      r.j["note"] = std::to_string(seeds.size() - e.size()) +
                    " replications without the metric at both costs (or with m+ + m- = 0) left out";
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.key.has_value() != b.key.has_value()) return a.key.has_value();
    if (a.key && *a.key != *b.key) return *a.key > *b.key;
    return a.j["cost"].get<std::string>() < b.j["cost"].get<std::string>();
  });
  nlohmann::json ranked = nlohmann::json::array();
  for (auto& r : rows) ranked.push_back(std::move(r.j));
  return {{"metric", opt.metric},
          {"delta", opt.delta},
          {"replications", opt.replications},
          {"seeds", seeds},
          {"baseline", interval_of(values(base[0], opt.metric), opt.level)},
          {"costs", ranked},
          {"skipped", skipped}};
}

}  // namespace forksim
