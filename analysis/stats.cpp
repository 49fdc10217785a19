#include "analysis/stats.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <stdexcept>

namespace forksim {

double mean_of(const std::vector<double>& xs) {
  double s = 0;
  for (double x : xs) s += x;
  return xs.empty() ? 0 : s / xs.size();
}

namespace {

using nlohmann::json;

// Sample variance by the two-pass formula: replications of one figure agree
// to many digits, where the one-pass sum of squares cancels badly.
double variance_of(const std::vector<double>& xs, double m) {
  if (xs.size() < 2) return 0;
  double s = 0;
  for (double x : xs) s += (x - m) * (x - m);
  return s / (xs.size() - 1);
}

void check_level(double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence level must be in (0, 1)");
}

// locks.<name>.callers: lockstat's per-caller records, ten figures for each
// (lock, caller) pair, would triple a run's metrics for detail that the
// lock's own figures sum up.
bool lock_callers(const std::string& key) {
  const std::string prefix = "locks.", suffix = ".callers";
  return key.size() > prefix.size() + suffix.size() && key.rfind(prefix, 0) == 0 &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         key.find('.', prefix.size()) == key.size() - suffix.size();
}

bool excluded(const std::string& key) {
  if (lock_callers(key)) return true;
  static const char* prefixes[] = {"scenario.", "manifest."};
  for (const char* p : prefixes)
    if (key.rfind(p, 0) == 0) return true;
  if (key == "seed" || key == "schema_version" || key == "wall_time_s") return true;
  // wall-clock figures anywhere (a monitor's wall_s, wall_time_s)
  auto last = key.rfind('.');
  std::string leaf = last == std::string::npos ? key : key.substr(last + 1);
  return leaf.rfind("wall_", 0) == 0;
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, double>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
      if (!excluded(key)) flatten(*it, key, out);
    }
  } else if (j.is_number()) {
    double v = j.get<double>();
    if (std::isfinite(v)) out[prefix] = v;
  }
}

}  // namespace

std::optional<double> Interval::rel_half_width() const {
  if (!half_width || mean == 0) return std::nullopt;
  return *half_width / std::fabs(mean);
}
std::optional<double> Interval::lo() const {
  if (!half_width) return std::nullopt;
  return mean - *half_width;
}
std::optional<double> Interval::hi() const {
  if (!half_width) return std::nullopt;
  return mean + *half_width;
}
bool Interval::excludes_zero() const { return half_width && (*lo() > 0 || *hi() < 0); }

double t_quantile(double level, double df) {
  check_level(level);
  if (!(df > 0)) throw std::invalid_argument("t quantile needs df > 0");
  boost::math::students_t t(df);
  return boost::math::quantile(t, 1 - (1 - level) / 2);
}

namespace {

// t_interval with its quantile given (t_quantile(level, n - 1), unused
// when n < 2): a point's summary has one n for all its metrics, and the
// quantile (about 1 us) was the same for each of its ~200.
Interval t_interval_at(const std::vector<double>& xs, double level, double t) {
  Interval r;
  r.level = level;
  r.n = xs.size();
  r.mean = mean_of(xs);
  if (r.n < 2) return r;
  r.sd = std::sqrt(variance_of(xs, r.mean));
  r.df = static_cast<double>(r.n - 1);
  r.half_width = t * r.sd / std::sqrt(static_cast<double>(r.n));
  return r;
}

}  // namespace

Interval t_interval(const std::vector<double>& xs, double level) {
  check_level(level);
  return t_interval_at(xs, level, xs.size() < 2 ? 0 : t_quantile(level, static_cast<double>(xs.size() - 1)));
}

Interval paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                           double level) {
  if (a.size() != b.size())
    throw std::invalid_argument("a paired difference needs samples of the same length");
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  return t_interval(d, level);
}

Interval welch_difference(const std::vector<double>& a, const std::vector<double>& b,
                          double level) {
  check_level(level);
  Interval r;
  r.level = level;
  r.n = a.size() + b.size();
  double ma = mean_of(a), mb = mean_of(b);
  r.mean = mb - ma;
  if (a.size() < 2 || b.size() < 2) return r;
  double va = variance_of(a, ma) / a.size(), vb = variance_of(b, mb) / b.size();
  double se2 = va + vb;
  r.sd = std::sqrt(se2);  // the standard error of the difference
  if (se2 == 0) {
    // Both samples constant: the difference is known exactly.
    r.df = static_cast<double>(r.n - 2);
    r.half_width = 0;
    return r;
  }
  r.df = se2 * se2 /
         (va * va / (a.size() - 1) + vb * vb / (b.size() - 1));
  r.half_width = t_quantile(level, r.df) * r.sd;
  return r;
}

json interval_json(const Interval& i) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"mean", i.mean}, {"sd", i.sd},         {"n", i.n},
          {"df", i.df},     {"level", i.level},   {"half_width", opt(i.half_width)},
          {"lo", opt(i.lo())}, {"hi", opt(i.hi())}, {"rel_half_width", opt(i.rel_half_width())}};
}

std::map<std::string, double> numeric_metrics(const json& report) {
  std::map<std::string, double> out;
  flatten(report, "", out);
  return out;
}

json summarise_metrics(const std::vector<json>& reports, double level) {
  std::map<std::string, std::vector<double>> by_key;
  for (const json& r : reports)
    for (const auto& [k, v] : numeric_metrics(r)) by_key[k].push_back(v);
  json metrics = json::object(), partial = json::object();
  check_level(level);
  const std::size_t n = reports.size();
  const double t = n < 2 ? 0 : t_quantile(level, static_cast<double>(n - 1));
  for (const auto& [k, xs] : by_key) {
    if (xs.size() == n)
      metrics[k] = interval_json(t_interval_at(xs, level, t));
    else
      partial[k] = xs.size();
  }
  return {{"metrics", metrics}, {"partial", partial}};
}

}  // namespace forksim
