#include "driver/slo_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "analysis/stats.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

Objective parse_objective(const std::string& text, const std::string& option) {
  const auto le = text.find("<="), ge = text.find(">=");
  if ((le == std::string::npos) == (ge == std::string::npos))
    throw ScenarioError(option, "expected METRIC<=BOUND or METRIC>=BOUND, got '" + text + "'");
  const auto at = le != std::string::npos ? le : ge;
  Objective o;
  o.text = text;
  o.at_most = le != std::string::npos;
  o.metric = trim(text.substr(0, at));
  const std::string bound = trim(text.substr(at + 2));
  if (o.metric.empty() || o.metric.find_first_of(" \t") != std::string::npos)
    throw ScenarioError(option, "expected a metric name before '" + text.substr(at, 2) + "', got '" +
                                    text + "'");
  char* end = nullptr;
  o.bound = std::strtod(bound.c_str(), &end);
  if (bound.empty() || end != bound.c_str() + bound.size() || !std::isfinite(o.bound))
    throw ScenarioError(option, "the bound must be a finite number, got '" + bound + "'");
  return o;
}

void require_metric(const std::string& metric, const nlohmann::json& report,
                    const std::string& option) {
  const auto m = numeric_metrics(report);
  if (m.count(metric)) return;
  std::vector<std::string> names;
  for (const auto& [k, v] : m) names.push_back(k);
  throw ScenarioError(option, "unknown metric '" + metric + "': not a numeric figure of the run report" +
                                  did_you_mean(metric, names));
}

namespace {

enum class Class { Meets, Fails, Undecided };
const char* class_name(Class c) {
  return c == Class::Meets ? "meets" : c == Class::Fails ? "fails" : "undecided";
}

struct Point {
  double x;
  std::vector<nlohmann::json> runs;
  std::vector<double> values;  // the metric, where the run has it
  Interval interval;
  Class cls = Class::Undecided;
};

void classify(Point& p, const Objective& obj, double level) {
  p.values.clear();
  for (const auto& r : p.runs) {
    const auto m = numeric_metrics(r);
    auto it = m.find(obj.metric);
    if (it != m.end()) p.values.push_back(it->second);
  }
  p.cls = Class::Undecided;
  if (p.values.empty()) return;
  p.interval = t_interval(p.values, level);
  // A run without the metric (a percentile too few samples had) leaves the
  // point undecided: its interval would be over a subset.
  if (p.values.size() != p.runs.size() || !p.interval.half_width) return;
  const double lo = *p.interval.lo(), hi = *p.interval.hi();
  const bool lo_ok = obj.met_by(lo), hi_ok = obj.met_by(hi);
  if (lo_ok && hi_ok) p.cls = Class::Meets;
  else if (!lo_ok && !hi_ok) p.cls = Class::Fails;
}

nlohmann::json load_json(double x, bool integer) {
  if (integer) return static_cast<long long>(std::llround(x));
  return x;
}

// The objective's slack at a mean: positive on the meeting side.
double slack(const Objective& obj, double mean) { return obj.at_most ? obj.bound - mean : mean - obj.bound; }

// Whether the objective gets easier as the key grows: a resource
// (machine.ncpus) rather than a load. Judged from the swept points' means
// at the lowest and the highest key: more slack at the top means a
// resource. A load otherwise, and when either end lacks the metric.
bool easier_as_key_grows(const std::vector<Point>& pts, const Objective& obj) {
  if (pts.size() < 2 || pts.front().values.empty() || pts.back().values.empty()) return false;
  return slack(obj, pts.back().interval.mean) > slack(obj, pts.front().interval.mean);
}

// The search runs on x as a load: for a resource, on -x, so that the
// highest meeting "load" is the lowest meeting resource.
PointRequest request(const SloProblem& pb, double sign, double x, std::size_t from, std::size_t to) {
  PointRequest r;
  r.sets = pb.sets;
  r.sets.push_back(pb.key + "=" + load_json(sign * x, pb.integer_key).dump());
  for (std::size_t i = from; i < to; ++i) r.seeds.push_back(pb.seed + i);  // mod 2^64
  return r;
}

}  // namespace

nlohmann::json slo_search(const Objective& obj, SloProblem pb, const PointRunner& run,
                          const SloOptions& opt) {
  std::vector<Point> pts;
  for (auto& sp : pb.points) pts.push_back({sp.x, std::move(sp.runs), {}, {}, Class::Undecided});
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  // An unknown metric is named as soon as there is a report to look in.
  bool metric_checked = false;
  auto check_metric = [&] {
    for (const auto& p : pts)
      if (!metric_checked && !p.runs.empty()) {
        require_metric(obj.metric, p.runs.front(), "--slo");
        metric_checked = true;
      }
  };
  check_metric();
  for (auto& p : pts) classify(p, obj, opt.level);
  const bool resource = easier_as_key_grows(pts, obj);
  const double sign = resource ? -1 : 1;
  if (resource) {
    for (auto& p : pts) p.x = -p.x;
    std::reverse(pts.begin(), pts.end());
  }
  // The messages' words for the search's (load-like) order.
  const std::string lowest = resource ? "highest" : "lowest";
  const std::string load = resource ? pb.key : "load";
  const std::size_t max_reps = static_cast<std::size_t>(std::max(opt.max_replications, 1));
  const std::size_t min_reps = std::min(static_cast<std::size_t>(std::max(opt.min_replications, 2)), max_reps);
  int points_added = 0, reps_added = 0;
  std::optional<std::size_t> L, U, F;  // indices into pts
  std::string reason;
  bool decided = false;

  for (;;) {
    for (auto& p : pts) classify(p, obj, opt.level);
    F.reset();
    for (std::size_t i = 0; i < pts.size() && !F; ++i)
      if (pts[i].cls == Class::Fails) F = i;
    const std::size_t end = F ? *F : pts.size();  // L lies below the lowest failing point
    L.reset();
    for (std::size_t i = 0; i < end; ++i)
      if (pts[i].cls == Class::Meets) L = i;
    U.reset();
    for (std::size_t i = L ? *L + 1 : 0; i < pts.size() && !U; ++i)
      if (pts[i].cls != Class::Meets) U = i;

    // More replications where the answer is still open: the undecided
    // points between L and the lowest failing point, in one batch.
    std::vector<PointRequest> batch;
    std::vector<std::size_t> which;
    for (std::size_t i = L ? *L + 1 : 0; i < end; ++i) {
      Point& p = pts[i];
      if (p.cls != Class::Undecided || p.runs.size() >= max_reps) continue;
      const std::size_t n = std::min(max_reps, std::max(min_reps, 2 * p.runs.size()));
      batch.push_back(request(pb, sign, p.x, p.runs.size(), n));
      which.push_back(i);
    }
    if (!batch.empty()) {
      auto reports = run(batch);
      for (std::size_t b = 0; b < batch.size(); ++b) {
        reps_added += static_cast<int>(reports[b].size());
        for (auto& r : reports[b]) pts[which[b]].runs.push_back(std::move(r));
      }
      check_metric();
      continue;
    }

    if (!L) {
      if (pts.empty()) {
        reason = "no points to search";
      } else if (pts.front().cls == Class::Fails) {
        decided = true;
        reason = "the objective fails at the " + lowest + " " + load + " swept";
      } else {
        reason = "the " + lowest + " " + load + " swept is undecided after " +
                 std::to_string(pts.front().runs.size()) + " replications; sweep " +
                 (resource ? "higher values" : "lower loads") + " or allow more replications";
      }
      break;
    }
    if (!U) {
      reason = resource ? "the objective is met at every " + load + " swept; the lowest meeting one is below the range"
                        : "the objective is met at every load swept; the highest meeting load is above the range";
      break;
    }
    // Two edges to close: the meeting one [L, U] (the answer) and the
    // failing one [V, F], V the highest load below F that does not fail;
    // between U and V the metric is too near the bound to decide.
    auto open_mid = [&](std::size_t a, std::size_t b) -> std::optional<double> {
      const double lo = pts[a].x, hi = pts[b].x;
      const double tol = std::max(opt.tolerance * std::abs(hi), pb.integer_key ? 1.0 : 0.0);
      double mid = (lo + hi) / 2;
      if (pb.integer_key) mid = std::floor(mid);
      if (hi - lo <= tol || mid <= lo || mid >= hi) return std::nullopt;
      return mid;
    };
    std::optional<double> mid = open_mid(*L, *U);
    const bool answer_open = mid.has_value();
    if (!mid && F) {
      std::size_t V = *F - 1;  // >= *L, which meets
      mid = open_mid(V, *F);
    }
    if (!mid) {
      decided = true;
      reason = "bracketed within the tolerance";
      break;
    }
    if (points_added >= opt.max_points) {
      decided = !answer_open;
      reason = "the budget of " + std::to_string(opt.max_points) + " new points was spent before " +
               (answer_open ? "the bracket came within the tolerance"
                            : "the lowest failing load came within the tolerance of the answer");
      break;
    }
    auto reports = run({request(pb, sign, *mid, 0, min_reps)});
    ++points_added;
    reps_added += static_cast<int>(reports[0].size());
    pts.push_back({*mid, std::move(reports[0]), {}, {}, Class::Undecided});
    std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  }

  auto x_or_null = [&](const std::optional<std::size_t>& i) {
    return i ? load_json(sign * pts[*i].x, pb.integer_key) : nlohmann::json();
  };
  if (resource) std::reverse(pts.begin(), pts.end());  // the evidence by the key, ascending
  nlohmann::json evidence = nlohmann::json::array();
  for (const Point& p : pts) {
    nlohmann::json e = {{"x", load_json(sign * p.x, pb.integer_key)}, {"n", p.runs.size()},
                        {"class", class_name(p.cls)}, {"mean", nullptr}, {"half_width", nullptr}};
    if (!p.values.empty()) {
      e["mean"] = p.interval.mean;
      if (p.interval.half_width) e["half_width"] = *p.interval.half_width;
    }
    evidence.push_back(e);
  }
  if (resource) {  // L and F index the load-ordered points: map them back
    if (L) L = pts.size() - 1 - *L;
    if (F) F = pts.size() - 1 - *F;
  }
  const nlohmann::json none;
  return {{"objective", obj.text},
          {"key", pb.key},
          {"metric", obj.metric},
          {"direction", resource ? "easier" : "harder"},
          {"highest_meeting", resource ? none : x_or_null(L)},
          {"lowest_failing", resource ? none : x_or_null(F)},
          {"lowest_meeting", resource ? x_or_null(L) : none},
          {"highest_failing", resource ? x_or_null(F) : none},
          {"answer", x_or_null(L)},
          {"interval", resource ? nlohmann::json{x_or_null(F), x_or_null(L)}
                                : nlohmann::json{x_or_null(L), x_or_null(F)}},
          {"confidence", opt.level},
          {"points_added", points_added},
          {"replications_added", reps_added},
          {"decided", decided},
          {"reason", reason},
          {"points", evidence}};
}

}  // namespace forksim
