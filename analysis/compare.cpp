#include "analysis/compare.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "analysis/stats.hpp"

namespace forksim {
namespace {

using nlohmann::json;

constexpr int kCompareSchemaVersion = 1;

// One side of a comparison: each run's metrics, in the result's order.
struct Side {
  std::vector<uint64_t> seeds;
  std::vector<std::map<std::string, double>> runs;
};

// In JSON's quotes; bytes that are not UTF-8 (a command line's) replaced.
std::string json_quoted(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

void check_run_report(const json& r, const std::string& at) {
  std::string where = at.empty() ? "" : at + ": ";
  if (!r.is_object()) throw CompareError(where + "not a forksim run report: a JSON " + r.type_name());
  for (const char* key : {"schema_version", "seed"})
    if (!r.contains(key) || !r[key].is_number_integer() || r[key] < 0)
      throw CompareError(where + "not a forksim result: no \"" + key + "\" (a whole number)");
  if (!r.contains("scenario") || !r["scenario"].is_object())
    throw CompareError(where + "not a forksim result: no \"scenario\" object");
}

// The "runs" of a replicated run or of a sweep point, `at` naming it
// ("" for the result itself, "points[3]").
void check_runs(const json& holder, const std::string& at) {
  const std::string prefix = at.empty() ? "" : at + ".";
  if (!holder.contains("runs") || !holder["runs"].is_array() || holder["runs"].empty())
    throw CompareError((at.empty() ? "" : at + ": ") +
                       "no \"runs\" (the array of each replication's report)");
  for (std::size_t i = 0; i < holder["runs"].size(); ++i)
    check_run_report(holder["runs"][i], prefix + "runs[" + std::to_string(i) + "]");
}

void check_sweep(const json& sweep) {
  if (!sweep.contains("points") || !sweep["points"].is_array())
    throw CompareError("no \"points\" array in the sweep");
  for (std::size_t i = 0; i < sweep["points"].size(); ++i) {
    const json& p = sweep["points"][i];
    const std::string at = "points[" + std::to_string(i) + "]";
    if (!p.is_object() || !p.contains("overrides") || !p["overrides"].is_object())
      throw CompareError(at + ": no \"overrides\" object");
    check_runs(p, at);
  }
}

// A checked holder's runs (check_runs).
Side side_of_runs(const json& holder) {
  Side s;
  for (const json& run : holder["runs"]) {
    s.seeds.push_back(run["seed"].get<uint64_t>());
    s.runs.push_back(numeric_metrics(run));
  }
  return s;
}

Side side_of(const json& result, const std::string& kind) {
  if (kind == "run") return {{result["seed"].get<uint64_t>()}, {numeric_metrics(result)}};
  return side_of_runs(result);
}

std::string test_for(const Side& a, const Side& b) {
  if (a.runs.size() == 1 && b.runs.size() == 1) return "none (single runs)";
  if (a.seeds == b.seeds) return "paired t (same seeds)";
  if (a.runs.size() == 1) return "none (A has one run)";
  if (b.runs.size() == 1) return "none (B has one run)";
  return "Welch t";
}

// The values of `name` in every run of `s`, or none when a run lacks it.
std::optional<std::vector<double>> values(const Side& s, const std::string& name) {
  std::vector<double> v;
  for (const auto& run : s.runs) {
    auto it = run.find(name);
    if (it == run.end()) return std::nullopt;
    v.push_back(it->second);
  }
  return v;
}

// "only in B", "only in A, in 1 of its 5 runs", "in 3 of A's 5 runs, in 4
// of B's 5 runs".
std::string why_not_compared(const Side& a, const Side& b, const std::string& name) {
  auto count = [&name](const Side& s) {
    std::size_t n = 0;
    for (const auto& run : s.runs) n += run.count(name);
    return n;
  };
  auto part = [](std::size_t k, std::size_t n, const std::string& whose) {
    return k == n ? std::string() : "in " + std::to_string(k) + " of " + whose + " " + std::to_string(n) + " runs";
  };
  std::size_t na = count(a), nb = count(b);
  if (na == 0 || nb == 0) {
    std::string p = na == 0 ? part(nb, b.runs.size(), "its") : part(na, a.runs.size(), "its");
    return std::string("only in ") + (na == 0 ? "B" : "A") + (p.empty() ? "" : ", " + p);
  }
  std::string pa = part(na, a.runs.size(), "A's"), pb = part(nb, b.runs.size(), "B's");
  return pa + (pa.empty() || pb.empty() ? "" : ", ") + pb;
}

// {"test", "metrics", "not_compared"} of B against A.
json compare_sides(const Side& a, const Side& b, double level) {
  const std::string test = test_for(a, b);
  std::set<std::string> names;
  for (const Side* s : {&a, &b})
    for (const auto& run : s->runs)
      for (const auto& [name, v] : run) names.insert(name);
  json metrics = json::object(), not_compared = json::object();
  for (const std::string& name : names) {
    auto va = values(a, name), vb = values(b, name);
    if (!va || !vb) {
      not_compared[name] = why_not_compared(a, b, name);
      continue;
    }
    double ma = mean_of(*va), mb = mean_of(*vb), diff = mb - ma;
    std::optional<Interval> iv;
    if (test.rfind("paired", 0) == 0) iv = paired_difference(*va, *vb, level);
    else if (test == "Welch t") iv = welch_difference(*va, *vb, level);
    metrics[name] = {{"a", ma},
                     {"b", mb},
                     {"diff", diff},
                     {"rel", ma != 0 ? json(diff / ma) : json(nullptr)},
                     {"test", test},
                     {"interval", iv ? interval_json(*iv) : json(nullptr)},
                     {"significant", iv && iv->excludes_zero()}};
  }
  return {{"test", test}, {"metrics", metrics}, {"not_compared", not_compared}};
}

json side_summary(const json& result, const std::string& kind, const Side* side) {
  json hash = nullptr;
  if (result.contains("manifest") && result["manifest"].is_object() &&
      result["manifest"].contains("scenario_hash"))
    hash = result["manifest"]["scenario_hash"];
  json j = {{"kind", kind}, {"scenario_hash", hash}};
  if (side) {
    j["runs"] = side->runs.size();
    j["seeds"] = side->seeds;
  } else {
    j["points"] = result["points"].size();
  }
  return j;
}

json compare_sweeps(const json& a, const json& b, double level) {
  const json& pa = a["points"];
  const json& pb = b["points"];
  std::vector<bool> used(pb.size(), false);
  json points = json::array(), only_a = json::array(), only_b = json::array();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    std::size_t j = 0;
    while (j < pb.size() && (used[j] || pb[j]["overrides"] != pa[i]["overrides"])) ++j;
    if (j == pb.size()) {
      only_a.push_back(pa[i]["overrides"]);
      continue;
    }
    used[j] = true;
    json c = compare_sides(side_of_runs(pa[i]), side_of_runs(pb[j]), level);
    c["overrides"] = pa[i]["overrides"];
    points.push_back(std::move(c));
  }
  for (std::size_t j = 0; j < pb.size(); ++j)
    if (!used[j]) only_b.push_back(pb[j]["overrides"]);
  return {{"points", points}, {"points_only_in_a", only_a}, {"points_only_in_b", only_b}};
}

// The comparison's entries (one, or one per matched sweep point), each
// with where it is ("" for runs).
std::vector<std::pair<std::string, const json*>> entries(const json& comparison) {
  std::vector<std::pair<std::string, const json*>> e;
  if (comparison.contains("points"))
    for (const json& p : comparison["points"]) e.emplace_back("at " + point_name(p["overrides"]), &p);
  else
    e.emplace_back("", &comparison);
  return e;
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

std::string point_name(const json& overrides) {
  std::string s;
  for (auto it = overrides.begin(); it != overrides.end(); ++it)
    s += (s.empty() ? "" : ", ") + it.key() + "=" +
         (it->is_string() ? it->get<std::string>() : it->dump());
  return s;
}

std::string result_kind(const json& result) {
  if (!result.is_object())
    throw CompareError(std::string("not a forksim result: a JSON ") + result.type_name());
  if (!result.contains("kind")) {
    check_run_report(result, "");
    return "run";
  }
  const json& k = result["kind"];
  if (k == "replicated") {
    check_runs(result, "");
    return "replicated";
  }
  if (k == "sweep") {
    check_sweep(result);
    return "sweep";
  }
  throw CompareError("not a forksim result: \"kind\" is " + k.dump() +
                     " (a result is a run report, or of kind \"replicated\" or \"sweep\")");
}

json compare_results(const json& a, const json& b, double level) {
  auto kind_of = [](const json& r, const char* which) {
    try {
      return result_kind(r);
    } catch (const CompareError& e) {
      throw CompareError(std::string(which) + ": " + e.what());
    }
  };
  const std::string ka = kind_of(a, "A"), kb = kind_of(b, "B");
  if ((ka == "sweep") != (kb == "sweep")) {
    auto noun = [](const std::string& k) {
      return k == "replicated" ? std::string("replicated run") : k;
    };
    throw CompareError("A is a " + noun(ka) + " and B a " + noun(kb) +
                       ": a sweep compares with a sweep, a run or replicated run with either of those");
  }
  json c = {{"kind", "compare"}, {"schema_version", kCompareSchemaVersion}, {"level", level}};
  if (ka == "sweep") {
    c["a"] = side_summary(a, ka, nullptr);
    c["b"] = side_summary(b, kb, nullptr);
    c.update(compare_sweeps(a, b, level));
    return c;
  }
  Side sa = side_of(a, ka), sb = side_of(b, kb);
  c["a"] = side_summary(a, ka, &sa);
  c["b"] = side_summary(b, kb, &sb);
  c.update(compare_sides(sa, sb, level));
  return c;
}

FailIf parse_fail_if(const std::string& text) {
  const std::string example = "; expected METRIC<THRESHOLD or METRIC>THRESHOLD, a % making it "
                              "relative to A: throughput.forks_per_s<-2%";
  auto bad = [&](const std::string& why) {
    return CompareError("--fail-if " + json_quoted(text) + ": " + why + example);
  };
  auto op_at = text.find_first_of("<>");
  if (op_at == std::string::npos) throw bad("no < or >");
  if (text.find_first_of("<>=", op_at + 1) != std::string::npos)
    throw bad("one < or > and nothing else (no <=, >=, ==)");
  FailIf r;
  r.text = text;
  r.op = text[op_at];
  auto trim = [](std::string s) {
    auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  r.metric = trim(text.substr(0, op_at));
  if (r.metric.empty()) throw bad("no metric before " + std::string(1, r.op));
  std::string t = trim(text.substr(op_at + 1));
  if (!t.empty() && t.back() == '%') {
    r.relative = true;
    t = trim(t.substr(0, t.size() - 1));
  }
  char* end = nullptr;
  double x = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(x))
    throw bad("the threshold " + json_quoted(t) + " is not a number");
  r.threshold = r.relative ? x / 100 : x;
  return r;
}

std::vector<std::string> comparison_metric_names(const json& comparison) {
  std::set<std::string> names;
  for (const auto& [where, e] : entries(comparison))
    for (const char* part : {"metrics", "not_compared"})
      for (auto it = (*e)[part].begin(); it != (*e)[part].end(); ++it) names.insert(it.key());
  return {names.begin(), names.end()};
}

std::vector<std::string> fail_if_breaches(const json& comparison, const FailIf& rule) {
  std::vector<std::string> breaches;
  std::string not_compared;
  bool seen = false;
  for (const auto& [where, e] : entries(comparison)) {
    if (!(*e)["metrics"].contains(rule.metric)) {
      if ((*e)["not_compared"].contains(rule.metric))
        not_compared = (*e)["not_compared"][rule.metric].get<std::string>() +
                       (where.empty() ? "" : " " + where);
      continue;
    }
    seen = true;
    const json& m = (*e)["metrics"][rule.metric];
    double diff = m["diff"].get<double>();
    // A relative change from A = 0 is infinite in the direction of the
    // change (none when there is no change).
    double value = !rule.relative ? diff
                   : m["rel"].is_number() ? m["rel"].get<double>()
                   : diff == 0 ? 0.0 : std::copysign(INFINITY, diff);
    bool beyond = rule.op == '<' ? value < rule.threshold : value > rule.threshold;
    const json& iv = m["interval"];
    if (!beyond || (!iv.is_null() && !m["significant"].get<bool>())) continue;
    std::string msg = rule.text + ": " + (where.empty() ? "" : where + ": ") + "B - A = " +
                      num(diff) +
                      (m["rel"].is_number() ? " (" + num(100 * m["rel"].get<double>()) + "%)" : "") +
                      ", A " + num(m["a"].get<double>()) + ", B " + num(m["b"].get<double>());
    if (iv.is_null())
      msg += "; " + m["test"].get<std::string>() + ", no interval: the difference itself decides";
    else
      msg += "; " + num(100 * iv["level"].get<double>()) + "% interval [" +
             num(iv["lo"].get<double>()) + ", " + num(iv["hi"].get<double>()) + "], " +
             m["test"].get<std::string>();
    breaches.push_back(msg);
  }
  if (!seen) {
    if (!not_compared.empty())
      throw CompareError("--fail-if " + json_quoted(rule.text) + ": metric " + json_quoted(rule.metric) +
                         " is not compared: " + not_compared);
    throw CompareError("--fail-if " + json_quoted(rule.text) + ": unknown metric " + json_quoted(rule.metric));
  }
  return breaches;
}

}  // namespace forksim
