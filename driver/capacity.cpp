#include "driver/capacity.hpp"

#include <algorithm>
#include <stdexcept>

#include "analysis/bottleneck.hpp"
#include "analysis/usl.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

namespace {

constexpr const char* kKneeMethod = "Kneedle (Satopaa et al. 2011)";

// The one varied key, when its values are all numbers; else why not.
std::optional<std::string> load_key(const nlohmann::json& def, std::string& why) {
  const nlohmann::json& vary = def.at("vary");
  if (vary.size() != 1) {
    why = "needs one varied key, the load; this sweep varies " + std::to_string(vary.size());
    return std::nullopt;
  }
  for (const auto& v : vary[0].at("values"))
    if (!v.is_number()) {
      why = "needs numeric values of the varied key " + vary[0].at("key").get<std::string>() +
            ", got " + v.dump();
      return std::nullopt;
    }
  return vary[0].at("key").get<std::string>();
}

struct Curve {
  std::vector<double> x, y;
  std::vector<std::size_t> point;  // index into sweep["points"]
  std::string missing;             // a point without the metric in every run, if any
};

Curve curve_of(const nlohmann::json& points, const std::string& key, const std::string& metric) {
  Curve c;
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return points[a]["overrides"][key].get<double>() < points[b]["overrides"][key].get<double>();
  });
  for (std::size_t i : order) {
    const nlohmann::json& m = points[i]["metrics"];
    if (!m.contains(metric) || !m[metric]["mean"].is_number()) {
      c.missing = points[i]["overrides"].dump();
      continue;
    }
    c.x.push_back(points[i]["overrides"][key].get<double>());
    c.y.push_back(m[metric]["mean"].get<double>());
    c.point.push_back(i);
  }
  return c;
}

void require_in_sweep(const nlohmann::json& points, const std::string& metric) {
  std::vector<std::string> names;
  for (const auto& p : points) {
    if (p["metrics"].contains(metric) || p.value("partial", nlohmann::json::object()).contains(metric))
      return;
    if (names.empty())
      for (const auto& [k, v] : p["metrics"].items()) names.push_back(k);
  }
  throw ScenarioError("--metric", "unknown metric '" + metric + "': not a numeric figure of the run report" +
                                      did_you_mean(metric, names));
}

std::map<std::string, double> means(const nlohmann::json& metrics) {
  std::map<std::string, double> m;
  for (const auto& [k, v] : metrics.items())
    if (v["mean"].is_number()) m[k] = v["mean"].get<double>();
  return m;
}

nlohmann::json knee_answer(const nlohmann::json& points, const std::string& key, const Curve& c,
                           const CapacityOptions& opt) {
  nlohmann::json j = {{"method", kKneeMethod}, {"key", key}, {"metric", opt.metric}};
  if (!c.missing.empty()) {
    j["found"] = false;
    j["reason"] = "the metric is missing from some run of the point " + c.missing;
    return j;
  }
  Knee k = find_knee(c.x, c.y, opt.knee);
  j["found"] = k.found;
  if (!k.found) {
    j["reason"] = k.reason;
    return j;
  }
  const nlohmann::json& p = points[c.point[k.index]];
  j["x"] = p["overrides"][key];
  j["y"] = k.y;
  j["index"] = p.value("index", c.point[k.index]);
  j["shape"] = curve_shape_name(k.shape);
  j["sensitivity"] = opt.knee.sensitivity;
  if (auto b = find_bottleneck(means(p["metrics"]))) {
    j["bottleneck"] = bottleneck_json(*b);
    j["utilizations"] = utilizations_json(*b);
  } else {
    j["bottleneck"] = nullptr;
    j["utilizations"] = nlohmann::json::object();
  }
  return j;
}

nlohmann::json usl_answer(const Curve& c, const std::string& metric) {
  nlohmann::json j;
  try {
    if (!c.missing.empty())
      throw std::invalid_argument("the metric is missing from some run of the point " + c.missing);
    j = usl_json(fit_usl(c.x, c.y));
  } catch (const std::exception& e) {
    j = {{"fitted", false},
         {"reason", e.what()},
         {"method", "GSL nonlinear least squares (gsl_multifit_nlinear, trust region)"}};
  }
  j["metric"] = metric;
  return j;
}

}  // namespace

void check_capacity_options(const nlohmann::json& def, const CapacityOptions& opt) {
  if (!opt.slo) return;
  parse_objective(*opt.slo);
  std::string why;
  if (!load_key(def, why)) throw ScenarioError("--slo", "the SLO search " + why);
}

void add_capacity_answers(nlohmann::json& sweep, const PointRunner& run, const CapacityOptions& opt) {
  check_capacity_options(sweep.at("sweep"), opt);
  // The curve is the finished points': a failed one has no metrics. They
  // are lent, not copied (a large sweep's points are much of its memory),
  // and given back however this ends.
  struct Lent {
    nlohmann::json& all;
    std::vector<std::size_t> from;
    nlohmann::json points = nlohmann::json::array();
    ~Lent() {
      for (std::size_t k = 0; k < from.size(); ++k) all[from[k]] = std::move(points[k]);
    }
  } lent{sweep.at("points"), {}};
  for (std::size_t i = 0; i < lent.all.size(); ++i)
    if (!lent.all[i].contains("failed")) {
      lent.from.push_back(i);
      lent.points.push_back(std::move(lent.all[i]));
    }
  const nlohmann::json& points = lent.points;
  std::string why;
  const std::optional<std::string> key = load_key(sweep.at("sweep"), why);
  if (!key) {
    sweep["knee"] = {{"method", kKneeMethod}, {"found", false}, {"reason", "the knee " + why}};
  } else if (points.empty()) {
    sweep["knee"] = {{"method", kKneeMethod}, {"found", false}, {"reason", "the sweep has no points"}};
  } else {
    require_in_sweep(points, opt.metric);
    const Curve c = curve_of(points, *key, opt.metric);
    sweep["knee"] = knee_answer(points, *key, c, opt);
    if (*key == "machine.ncpus") sweep["usl"] = usl_answer(c, opt.metric);
  }
  if (!opt.slo) return;
  SloProblem pb;
  pb.key = *key;
  pb.integer_key = true;
  for (const auto& v : sweep["sweep"]["vary"][0]["values"])
    if (!v.is_number_integer()) pb.integer_key = false;
  const nlohmann::json& seeds = sweep["sweep"].value("seeds", nlohmann::json::array());
  pb.seed = !seeds.empty() ? seeds[0].get<uint64_t>() : sweep.at("scenario").at("seed").get<uint64_t>();
  for (const auto& p : points) {
    SloPoint sp;
    sp.x = p["overrides"][*key].get<double>();
    for (const auto& r : p.value("runs", nlohmann::json::array())) sp.runs.push_back(r);
    pb.points.push_back(std::move(sp));
  }
  sweep["slo"] = slo_search(parse_objective(*opt.slo), std::move(pb), run, opt.slo_search);
}

}  // namespace forksim
