#include "driver/sweep.hpp"

#include "scenarios/scenario.hpp"

using nlohmann::json;

namespace forksim {

SweepPlan plan_sweep(const json& base_raw, const SweepOptions& opt,
                     const std::function<void(const Scenario&)>& check) {
  SweepPlan plan;
  Scenario base = parse_scenario(base_raw);
  plan.base = base.to_json();
  plan.points = sweep_points(opt.vary, opt.zip);
  const std::vector<uint64_t> seeds = replication_seeds(base.seed, opt.rule.most());
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const SweepPoint& p = plan.points[i];
    json raw = point_raw(base_raw, p.sets, "sweep " + point_label(i, p), check);
    plan.specs.push_back({std::move(raw), point_label(i, p), seeds, 0});
    plan.indices.push_back(i);
  }
  plan.total = plan.points.size();
  return plan;
}

json sweep_point_json(std::size_t index, const SweepPoint& p, const PointResult& r,
                      const StopRule& rule, int jobs) {
  json j = {{"index", index}, {"overrides", p.overrides}, {"sets", p.sets}};
  j.update(point_json(r, rule, jobs));
  return j;
}

Outcome run_sweep(const SweepPlan& plan, const SweepOptions& opt, const ExperimentContext& ctx,
                  const std::function<void(const json&)>& on_point) {
  return run_points(plan.specs, opt.rule, ctx, [&](std::size_t i, const PointResult& r) {
    if (on_point) on_point(sweep_point_json(plan.indices[i], plan.points[i], r, opt.rule, ctx.jobs));
  });
}

json sweep_json(const SweepPlan& plan, const SweepOptions& opt, const Outcome& o, int jobs) {
  json vary = json::array();
  for (const Vary& v : opt.vary) vary.push_back({{"key", v.key}, {"values", v.values}});
  json precision = nullptr;
  if (opt.rule.precision)
    precision = {{"target", opt.rule.precision->target},
                 {"metric", opt.rule.precision->metric},
                 {"max_replications", opt.rule.precision->max_replications}};
  json points = json::array();
  std::size_t most = 0;
  bool complete = true;
  for (std::size_t i = 0; i < o.points.size(); ++i) {
    const PointResult& r = o.points[i];
    if (!r.decided) {
      complete = false;
      continue;
    }
    most = std::max(most, r.runs.size());
    points.push_back(sweep_point_json(plan.indices[i], plan.points[i], r, opt.rule, jobs));
  }
  uint64_t seed0 = plan.base.at("seed").get<uint64_t>();
  return {{"kind", "sweep"},
          {"schema_version", 1},
          {"scenario", plan.base},
          {"complete", complete},
          {"sweep",
           {{"vary", vary},
            {"zip", opt.zip},
            {"replications", opt.rule.replications},
            {"precision", precision},
            {"seeds", replication_seeds(seed0, most)},
            {"points", plan.total}}},
          {"points", points}};
}

namespace {

// A CSV field (RFC 4180): quoted when it holds a comma, a quote, a line
// break or edge spaces; a string as it is, anything else as JSON.
std::string csv_field(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string sweep_csv(const json& sweep) {
  std::vector<std::string> keys;
  for (const json& v : sweep.at("sweep").at("vary")) keys.push_back(v.at("key"));
  std::string out;
  for (const std::string& k : keys) out += csv_field(k) + ",";
  out += "metric,mean,half_width,n\n";
  for (const json& p : sweep.at("points")) {
    std::string prefix;
    for (const std::string& k : keys) prefix += csv_field(p.at("overrides").at(k)) + ",";
    for (const auto& [name, iv] : p.at("metrics").items()) {
      const json& hw = iv.at("half_width");
      out += prefix + csv_field(name) + "," + iv.at("mean").dump() + "," +
             (hw.is_null() ? std::string() : hw.dump()) + "," + iv.at("n").dump() + "\n";
    }
  }
  return out;
}

}  // namespace forksim
