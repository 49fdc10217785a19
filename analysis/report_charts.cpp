#include "analysis/report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "analysis/json_lookup.hpp"
#include "analysis/usl.hpp"

using nlohmann::json;

namespace forksim {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::string> kLatencyStats = {"mean", "p50", "p90", "p99", "p999", "max"};

// A value as a sweep point names it: a string as it is, anything else as JSON.
std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

struct Unit {
  double factor = 1;
  std::string name;
};

Unit time_unit(double max_s) {
  if (max_s >= 1) return {1, "s"};
  if (max_s >= 1e-3) return {1e3, "ms"};
  return {1e6, "\xC2\xB5s"};
}

// The unit a metric is shown in, from its name and its largest value.
Unit metric_unit(const std::string& metric, double max_abs) {
  auto ends = [&](const std::string& tail) {
    return metric.size() >= tail.size() && metric.compare(metric.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (metric.find("latency_s") != std::string::npos || metric.find("wait_s") != std::string::npos ||
      metric.find("response_s") != std::string::npos || ends("_s"))
    if (!ends("_per_s")) return time_unit(max_abs);
  if (ends("utilization") || ends("utilization_max") || ends("_fraction")) return {100, "%"};
  if (ends("forks_per_s")) return {1, "forks/s"};
  if (ends("failures_per_s")) return {1, "failures/s"};
  if (ends("_per_s")) return {1, "/s"};
  if (ends("_mb")) return {1, "MB"};
  return {1, ""};
}

std::string with_unit(const std::string& label, const std::string& unit) {
  return unit.empty() ? label : label + " (" + unit + ")";
}

// Values whose largest is more than 50 times their smallest (positive) read
// better on a log scale.
bool wants_log(const std::vector<double>& values) {
  double lo = INFINITY, hi = 0;
  for (double v : values)
    if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  return hi > 0 && hi / lo > 50;
}

std::vector<double> chart_values(const Chart& c) {
  std::vector<double> v;
  for (const Series& s : c.series)
    for (const ChartPoint& p : s.points) {
      v.push_back(p.y);
      if (p.lo) v.push_back(*p.lo);
      if (p.hi) v.push_back(*p.hi);
    }
  return v;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v)
    if (std::isfinite(x)) m = std::max(m, std::fabs(x));
  return m;
}

ChartPoint point_of(double x, const Figure& f, double factor) {
  ChartPoint p;
  p.x = x;
  p.y = f.value * factor;
  if (f.lo && f.hi) p.lo = *f.lo * factor, p.hi = *f.hi * factor;
  return p;
}

// Leaves out the categories no series has a value for (percentiles a
// histogram had too few samples for), renumbering the rest.
void drop_empty_categories(Chart& c) {
  std::vector<bool> used(c.x.categories.size(), false);
  for (const Series& s : c.series)
    for (const ChartPoint& p : s.points)
      if (std::isfinite(p.y) && p.x >= 0 && p.x < used.size()) used[static_cast<std::size_t>(p.x)] = true;
  std::vector<double> index(used.size());
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < used.size(); ++i) {
    index[i] = static_cast<double>(kept.size());
    if (used[i]) kept.push_back(c.x.categories[i]);
  }
  for (Series& s : c.series)
    for (ChartPoint& p : s.points)
      if (p.x >= 0 && p.x < used.size()) p.x = index[static_cast<std::size_t>(p.x)];
  c.x.categories = std::move(kept);
}

bool has_points(const Chart& c) {
  for (const Series& s : c.series)
    for (const ChartPoint& p : s.points)
      if (std::isfinite(p.y)) return true;
  return false;
}

// Scales every value of the chart (raw figures in their base unit) by f.
void scale_values(Chart& c, double f) {
  for (Series& s : c.series)
    for (ChartPoint& p : s.points) {
      p.y *= f;
      if (p.lo) *p.lo *= f;
      if (p.hi) *p.hi *= f;
    }
  for (HLine& h : c.lines) h.y *= f;
}

// Finishes a chart of raw seconds: picks the unit and, if the spread asks,
// the log scale; returns the unit.
std::string finish_time_axis(Chart& c, const std::string& label) {
  const std::vector<double> values = chart_values(c);
  const Unit u = time_unit(max_abs(values));
  scale_values(c, u.factor);
  c.y.label = with_unit(label, u.name);
  c.y.log = wants_log(values);
  if (c.y.log)
    for (Series& s : c.series)
      if (s.style == SeriesStyle::Bars) s.style = SeriesStyle::Points;
  return u.name;
}

std::string caption_with_notes(const std::string& caption, const Chart& c) {
  const std::string notes = axis_notes(c);
  return notes.empty() ? caption : caption + " " + notes;
}

std::string interval_words(bool replicated) {
  return replicated ? "Points: the mean over the replications; whiskers: its 95% Student-t interval."
                    : "Whiskers: a percentile's 95% confidence interval (order statistics) where the "
                      "report has one; the mean and the maximum have none.";
}

Series series_of(const std::string& name, SeriesStyle style) {
  Series s;
  s.name = name;
  s.style = style;
  return s;
}

// A new chart's figure: its id, what it shows (the heading and the SVG's
// title), and its x axis' name in the chart and the table.
ChartFigure new_figure(const std::string& id, const std::string& heading, const std::string& x_label,
                       const std::string& x_header) {
  ChartFigure f;
  f.id = id;
  f.heading = heading;
  f.chart.title = heading;
  f.chart.x.label = x_label;
  f.x_header = x_header;
  return f;
}

// The latency statistics of one histogram (prefix "paths.fork1.latency_s")
// as a series over kLatencyStats; empty when it has none.
Series latency_series(const std::string& name, const std::string& prefix, const Figures& figures) {
  Series s = series_of(name, SeriesStyle::Points);
  for (std::size_t i = 0; i < kLatencyStats.size(); ++i)
    if (auto f = figures(prefix + "." + kLatencyStats[i])) s.points.push_back(point_of(i, *f, 1));
  return s;
}

ChartFigure latency_percentiles(const json& shape, const Figures& figures, bool replicated) {
  ChartFigure f = new_figure("latency-percentiles", "Fork latency per path: mean, percentiles and maximum",
                             "statistic of the latency", "statistic");
  f.chart.x.categories = kLatencyStats;
  for (const auto& [path, body] : object_at(shape, "paths").items()) {
    Series s = latency_series(path, "paths." + path + ".latency_s", figures);
    if (!s.points.empty()) f.chart.series.push_back(std::move(s));
    for (const auto& [err, h] : object_at(body, "failure_latency_s").items()) {
      Series fs = latency_series(path + " (failed: " + err + ")",
                                 "paths." + path + ".failure_latency_s." + err, figures);
      if (!fs.points.empty()) f.chart.series.push_back(std::move(fs));
    }
  }
  drop_empty_categories(f.chart);
  f.y_unit = finish_time_axis(f.chart, "latency");
  f.caption = caption_with_notes(
      "A fork's latency runs from its system call's entry to its return in the parent; a failed "
      "fork's, to its error. " + interval_words(replicated),
      f.chart);
  return f;
}

// The locks in order of utilization, busiest first.
std::vector<std::string> locks_by_use(const json& shape, const Figures& figures) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& [name, body] : object_at(shape, "locks").items()) {
    auto u = figures("locks." + name + ".utilization");
    v.push_back({u ? u->value : 0, name});
  }
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> names;
  for (auto& [u, n] : v) names.push_back(n);
  return names;
}

// One bar per lock: the figure locks.<lock>.<field>, times factor.
Series per_lock(const std::string& name, const std::vector<std::string>& locks, const Figures& figures,
                const std::string& field, double factor) {
  Series s = series_of(name, SeriesStyle::Bars);
  for (std::size_t i = 0; i < locks.size(); ++i)
    if (auto v = figures("locks." + locks[i] + "." + field)) s.points.push_back(point_of(i, *v, factor));
  return s;
}

std::string lock_interval_words(bool replicated) {
  return replicated ? " Whiskers: the 95% interval of the mean over the replications." : "";
}

ChartFigure lock_utilization(const json& shape, const Figures& figures, const std::vector<std::string>& locks,
                             bool replicated) {
  ChartFigure f = new_figure("lock-utilization", "Lock utilization: the fraction of the window each lock was held",
                             "lock", "lock");
  f.y_unit = "%";
  f.chart.x.categories = locks;
  f.chart.y.label = "utilization (%)";
  f.chart.series.push_back(per_lock("utilization (mean over its instances)", locks, figures, "utilization", 100));
  bool several = false;
  for (const std::string& l : locks)
    if (auto n = number_at(shape, "locks." + l + ".instances"); n && *n > 1) several = true;
  if (several) f.chart.series.push_back(per_lock("busiest instance", locks, figures, "utilization_max", 100));
  f.caption = caption_with_notes(
      "A per-process lock (p_lock, as_lock, ...) has one instance per process: its bar is the mean "
      "instance's, the second bar its busiest instance's." + lock_interval_words(replicated),
      f.chart);
  return f;
}

ChartFigure lock_wait(const Figures& figures, const std::vector<std::string>& locks, bool replicated) {
  ChartFigure f = new_figure("lock-wait", "Lock waits: how long a contended acquisition waited", "lock", "lock");
  f.chart.x.categories = locks;
  f.chart.series = {per_lock("mean wait of a contended acquisition", locks, figures, "wait_mean_s", 1),
                    per_lock("longest wait", locks, figures, "wait_max_s", 1)};
  f.y_unit = finish_time_axis(f.chart, "wait");
  f.caption = caption_with_notes(
      "The wait runs from a contended mutex_enter to the lock taken, spinning or asleep on the "
      "turnstile; a lock never contended waits 0." + lock_interval_words(replicated),
      f.chart);
  return f;
}

std::vector<double> column(const json& ts, const std::string& name) {
  std::vector<double> v;
  const json* c = at_key(ts, name);
  if (!c || !c->is_array()) return v;
  for (const json& x : *c) v.push_back(x.is_number() ? x.get<double>() : kNaN);
  return v;
}

// A rate column's first sample has no period before it (the report puts 0
// there): no value, rather than a dip to 0 that never happened.
std::vector<double> rate_column(const json& ts, const std::string& name) {
  std::vector<double> v = column(ts, name);
  if (!v.empty()) v[0] = kNaN;
  return v;
}

Series time_series(const std::string& name, const std::vector<double>& t, const std::vector<double>& y,
                   double factor = 1) {
  Series s;
  s.name = name;
  std::size_t present = 0;
  for (std::size_t i = 0; i < t.size() && i < y.size(); ++i) {
    ChartPoint p;
    p.x = t[i];
    p.y = y[i] * factor;
    present += std::isfinite(p.y);
    s.points.push_back(p);
  }
  // A sparse column (a probe every few samples) shows its points.
  s.style = present * 2 < s.points.size() ? SeriesStyle::LinePoints : SeriesStyle::Line;
  return s;
}

// The measurement window's start, marked on charts over time.
void mark_window(Chart& c, const json& report) {
  if (auto start = number_at(report, "window.start_s"); start && *start > 0)
    c.markers.push_back({*start, "window starts (" + format_number(*start) + " s)"});
}

ChartFigure cpu_chart(const json& shape, const Figures& figures, bool replicated) {
  ChartFigure f = new_figure("cpu", "CPU use", "", "");
  f.y_unit = "%";
  f.chart.y.label = "CPUs busy (%)";
  const std::string ncpus = number_at(shape, "cpu.ncpus") ? format_number(*number_at(shape, "cpu.ncpus")) : "?";
  const json& ts = object_at(shape, "timeseries");
  const std::vector<double> t = column(ts, "t_s"), u = rate_column(ts, "cpu_utilization");
  if (!replicated && t.size() > 1 && u.size() == t.size()) {
    f.x_header = "t (s)";
    f.chart.x.label = "simulated time (s)";
    f.chart.series.push_back(time_series("CPU utilization", t, u, 100));
    if (auto mean = figures("cpu.utilization"))
      f.chart.lines.push_back({mean->value * 100, "window mean " + format_number(mean->value * 100) + "%"});
    mark_window(f.chart, shape);
    f.caption = caption_with_notes("Each sample: the CPU time busy in the period before it, over " + ncpus +
                                       " CPUs x the period; the line: the measurement window's mean.",
                                   f.chart);
    return f;
  }
  f.x_header = "figure";
  f.chart.x.categories = {"CPU utilization"};
  f.chart.x.label = "";
  Series s = series_of("CPU utilization", SeriesStyle::Bars);
  if (auto mean = figures("cpu.utilization")) s.points.push_back(point_of(0, *mean, 100));
  f.chart.series.push_back(std::move(s));
  f.caption = caption_with_notes(
      "The CPU time busy in the measurement window over " + ncpus + " CPUs x the window." +
          std::string(replicated ? " Whisker: the 95% interval of the mean over the replications." : ""),
      f.chart);
  return f;
}

// Each unit with requests split near and away from forks: "" for a single
// workload's top level, else the group's name.
std::vector<std::string> service_units(const json& shape) {
  std::vector<std::string> v;
  if (at_key(shape, "requests.near_fork")) v.push_back("");
  for (const auto& [g, body] : object_at(shape, "groups").items())
    if (at_key(body, "requests.near_fork")) v.push_back(g);
  return v;
}

std::optional<ChartFigure> service_latency(const json& shape, const Figures& figures, bool replicated) {
  const std::vector<std::string> units = service_units(shape);
  if (units.empty()) return std::nullopt;
  ChartFigure f = new_figure("service-latency", "Request latency near a fork and away from forks",
                             "statistic of the request latency", "statistic");
  f.chart.x.categories = kLatencyStats;
  // A group's colour; filled near a fork, hollow away from forks.
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::string& g = units[i];
    const std::string prefix = g.empty() ? "requests" : "groups." + g + ".requests";
    const std::string who = g.empty() ? "" : g + ": ";
    for (auto [part, words] : {std::pair{"near_fork", "near a fork"}, {"away_from_fork", "away from forks"}}) {
      Series s = latency_series(who + words, prefix + "." + part + ".latency_s", figures);
      s.colour = i;
      s.hollow = std::string(part) == "away_from_fork";
      if (!s.points.empty()) f.chart.series.push_back(std::move(s));
    }
  }
  if (!has_points(f.chart)) return std::nullopt;
  drop_empty_categories(f.chart);
  f.y_unit = finish_time_axis(f.chart, "request latency");
  f.caption = caption_with_notes(
      "A request is near a fork when it was in the system (from arrival to completion) while a fork "
      "held its workers (holdlwps to continuelwps); the others are away from forks (hollow points). " +
          interval_words(replicated),
      f.chart);
  return f;
}

}  // namespace

std::optional<Figure> report_figure(const json& report, const std::string& key) {
  auto v = number_at(report, key);
  if (!v) return std::nullopt;
  Figure f{*v, std::nullopt, std::nullopt};
  const std::size_t dot = key.rfind('.');
  if (dot != std::string::npos) {
    const json* ci = at_key(report, key.substr(0, dot) + ".ci");
    if (ci && ci->is_object()) {
      auto it = ci->find(key.substr(dot + 1));
      if (it != ci->end() && it->is_array() && it->size() == 2 && (*it)[0].is_number() && (*it)[1].is_number())
        f.lo = (*it)[0].get<double>(), f.hi = (*it)[1].get<double>();
    }
  }
  return f;
}

std::optional<Figure> metrics_figure(const json& metrics, const std::string& key) {
  if (!metrics.is_object()) return std::nullopt;
  auto it = metrics.find(key);
  if (it == metrics.end() || !it->is_object()) return std::nullopt;
  auto mean = it->find("mean");
  if (mean == it->end() || !mean->is_number()) return std::nullopt;
  Figure f{mean->get<double>(), std::nullopt, std::nullopt};
  auto lo = it->find("lo"), hi = it->find("hi");
  if (lo != it->end() && hi != it->end() && lo->is_number() && hi->is_number())
    f.lo = lo->get<double>(), f.hi = hi->get<double>();
  return f;
}

std::vector<std::vector<std::string>> chart_table(const ChartFigure& f) {
  if (!f.table.empty()) return f.table;
  const Chart& c = f.chart;
  const bool cat = !c.x.categories.empty();
  std::vector<const Series*> cols;
  for (const Series& s : c.series)
    if (s.in_table) cols.push_back(&s);
  std::vector<std::string> header = {f.x_header};
  std::vector<bool> with_interval;
  for (const Series* s : cols) {
    bool any = false;
    for (const ChartPoint& p : s->points) any |= p.lo && p.hi;
    with_interval.push_back(any);
    const std::string name = s->name.empty() ? std::string("value") : s->name;
    header.push_back(with_unit(name, f.y_unit));
    if (any) header.push_back(name + ": 95% interval");
  }
  std::vector<double> xs;
  if (cat) {
    for (std::size_t i = 0; i < c.x.categories.size(); ++i) xs.push_back(static_cast<double>(i));
  } else {
    for (const Series* s : cols)
      for (const ChartPoint& p : s->points) xs.push_back(p.x);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (double x : xs) {
    std::vector<std::string> row = {cat ? c.x.categories[static_cast<std::size_t>(x)] : format_number(x, 6)};
    bool any = false;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      std::string value, interval;
      for (const ChartPoint& p : cols[k]->points) {
        if (p.x != x) continue;
        if (!std::isfinite(p.y) && !p.lo) continue;
        any = true;
        value += (value.empty() ? "" : ", ") + format_number(p.y, 6);
        if (p.lo && p.hi)
          interval += (interval.empty() ? "" : ", ") + ("[" + format_number(*p.lo, 6) + ", " +
                                                         format_number(*p.hi, 6) + "]");
      }
      row.push_back(value);
      if (with_interval[k]) row.push_back(interval);
    }
    if (any || cat) rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ChartFigure> run_charts(const json& shape, const Figures& figures, bool replicated) {
  std::vector<ChartFigure> out;
  ChartFigure lat = latency_percentiles(shape, figures, replicated);
  if (has_points(lat.chart)) out.push_back(std::move(lat));
  const std::vector<std::string> locks = locks_by_use(shape, figures);
  if (!locks.empty()) {
    ChartFigure util = lock_utilization(shape, figures, locks, replicated);
    if (has_points(util.chart)) out.push_back(std::move(util));
    ChartFigure wait = lock_wait(figures, locks, replicated);
    if (has_points(wait.chart)) out.push_back(std::move(wait));
  }
  ChartFigure cpu = cpu_chart(shape, figures, replicated);
  if (has_points(cpu.chart)) out.push_back(std::move(cpu));
  if (auto s = service_latency(shape, figures, replicated)) out.push_back(std::move(*s));
  return out;
}

std::vector<ChartFigure> timeseries_charts(const json& report, const std::string& whose) {
  std::vector<ChartFigure> out;
  const json& ts = object_at(report, "timeseries");
  const std::vector<double> t = column(ts, "t_s");
  if (t.size() < 2) return out;
  const std::string period =
      number_at(ts, "period_s") ? format_number(*number_at(ts, "period_s")) + " s" : "the period";
  const std::string of = whose.empty() ? "" : " Of " + whose + ".";
  auto base = [&](const std::string& id, const std::string& heading, const std::string& unit) {
    ChartFigure f = new_figure(id, heading, "simulated time (s)", "t (s)");
    f.y_unit = unit;
    mark_window(f.chart, report);
    return f;
  };
  auto finish = [&](ChartFigure& f, const std::string& caption) {
    if (!has_points(f.chart)) return;
    f.caption = caption_with_notes(caption + of, f.chart);
    out.push_back(std::move(f));
  };

  ChartFigure nproc = base("ts-nproc", "Processes over time (nproc)", "processes");
  nproc.chart.y.label = "processes";
  nproc.chart.series.push_back(time_series("nproc", t, column(ts, "nproc")));
  const json& tun = object_at(report, "scenario.tunables");
  auto max_nprocs = number_at(tun, "max_nprocs"), maxuprc = number_at(tun, "maxuprc");
  // A limit far above the processes would flatten them to the axis: drawn
  // when nproc comes within half of it, named in the caption otherwise.
  const std::vector<double> n = column(ts, "nproc");
  const double most = max_abs(n);
  std::string limits;
  auto limit = [&](const char* name, std::optional<double> v) {
    if (!v) return;
    if (most >= *v / 2)
      nproc.chart.lines.push_back({*v, std::string(name) + " " + format_number(*v)});
    else
      limits += std::string(limits.empty() ? " The limits, not drawn (the processes stay below half of them): "
                                           : ", ") + name + " " + format_number(*v);
  };
  limit("max_nprocs", max_nprocs);
  if (maxuprc && (!max_nprocs || *maxuprc != *max_nprocs)) limit("maxuprc", maxuprc);
  finish(nproc, "The processes in the process table at each sample (every " + period +
                    "); the dashed lines: the table's limit and the per-user limit." +
                    (limits.empty() ? "" : limits + "."));

  ChartFigure fail = base("ts-failures", "Fork failures and successes per second", "forks/s");
  fail.chart.y.label = "forks per second";
  fail.chart.series.push_back(time_series("failed forks/s", t, rate_column(ts, "failures_per_s")));
  fail.chart.series.push_back(time_series("successful forks/s", t, rate_column(ts, "forks_per_s")));
  finish(fail, "Each sample: the forks that failed (every cause) and that succeeded in the " + period +
                   " before it, per second.");

  ChartFigure pending = base("ts-fork-fail-pending", "Processes backing off after a failed fork (fork_fail_pending)",
                             "processes");
  pending.chart.y.label = "processes in the backoff";
  pending.chart.series.push_back(time_series("fork_fail_pending", t, column(ts, "fork_fail_pending")));
  finish(pending, "fork_fail_pending at each sample: the processes that got EAGAIN and sleep in getproc's "
                  "backoff before their next try.");

  struct Column {
    const char* name;
    const char* id;
    const char* heading;
    const char* axis;
    const char* what;
  };
  for (const Column& col :
       {Column{"admin_latency_s", "ts-admin-latency", "The admin probe's fork latency over time", "fork latency",
               "root's probe fork: from the call to its return, the mean of those that returned in the period"},
        Column{"response_s", "ts-response", "The interactive victim's response time over time", "response time",
               "the victim's work: from its wake-up due to the work done, the mean of those that finished in "
               "the period"},
        Column{"request_latency_s", "ts-request-latency", "Request latency over time", "request latency",
               "a request's latency, arrival to completion, the mean of those completed in the period"}}) {
    ChartFigure f = base(col.id, col.heading, "");
    if (ts.contains(col.name)) f.chart.series.push_back(time_series(text_at(report, "scenario.name"), t, column(ts, col.name)));
    for (const auto& [g, body] : object_at(report, "groups").items())
      if (at_key(body, std::string("timeseries.") + col.name))
        f.chart.series.push_back(time_series(g, t, column(object_at(body, "timeseries"), col.name)));
    if (!has_points(f.chart)) continue;
    f.y_unit = finish_time_axis(f.chart, col.axis);
    finish(f, std::string("Each sample: ") + col.what + " before it (every " + period +
                  "); no point where none ended.");
  }
  return out;
}

std::vector<ChartFigure> replicated_charts(const json& result) {
  static const std::regex main_re(
      R"(throughput\.(forks|failures)_per_s|paths\.[^.]+\.latency_s\.(p50|p99)|requests\.latency_s\.(p50|p99)|response_s\.(p50|p90)|cpu\.utilization|locks\.pidlock\.utilization)");
  const json& metrics = object_at(result, "metrics");
  const std::string stop_metric = text_at(result, "replications.stopped.metric");
  const json* runs = at_key(result, "runs");
  ChartFigure f = new_figure("replicated-metrics",
                             "The main figures: each replication and the 95% interval of the mean, relative to the mean",
                             "figure", "figure");
  f.y_unit = "% of the mean";
  f.chart.y.label = "difference from the mean (%)";
  Series each = series_of("one replication", SeriesStyle::Points);
  Series mean = series_of("mean and its 95% interval", SeriesStyle::Points);
  for (const auto& [name, iv] : metrics.items()) {
    if (!std::regex_match(name, main_re) && name != stop_metric) continue;
    auto fig = metrics_figure(metrics, name);
    if (!fig || fig->value == 0) continue;
    const double x = static_cast<double>(f.chart.x.categories.size());
    f.chart.x.categories.push_back(name);
    auto rel = [&](double v) { return (v / fig->value - 1) * 100; };
    ChartPoint m;
    m.x = x;
    m.y = 0;
    if (fig->lo && fig->hi) m.lo = rel(*fig->lo), m.hi = rel(*fig->hi);
    mean.points.push_back(m);
    // Each figure in its own unit: a latency in the unit that suits it.
    const bool seconds = name.find("latency_s") != std::string::npos || name.find("response_s") != std::string::npos;
    auto value = [&](double v, int digits) { return seconds ? format_seconds(v, digits) : format_number(v, digits); };
    f.table.push_back({name, value(fig->value, 6),
                       number_at(iv, "half_width") ? value(*number_at(iv, "half_width"), 4) : "n/a",
                       fig->lo ? "[" + value(*fig->lo, 6) + ", " + value(*fig->hi, 6) + "]" : "n/a",
                       number_at(iv, "rel_half_width")
                           ? format_number(*number_at(iv, "rel_half_width") * 100, 3) + "%"
                           : "n/a",
                       number_at(iv, "n") ? format_number(*number_at(iv, "n")) : "?"});
    if (runs && runs->is_array())
      for (const json& r : *runs)
        if (auto v = number_at(r, name)) each.points.push_back({x, rel(*v), std::nullopt, std::nullopt});
  }
  if (f.chart.x.categories.empty()) return {};
  f.table.insert(f.table.begin(), {"figure", "mean", "95% half-width", "95% interval", "relative half-width", "n"});
  f.chart.series = {std::move(each), std::move(mean)};
  const std::string n = number_at(result, "replications.n") ? format_number(*number_at(result, "replications.n")) : "?";
  f.caption = caption_with_notes(
      "Each of the " + n + " replications' value and the Student-t 95% interval of the mean, as a "
      "difference from the mean in percent; the table gives the figures themselves, in their own units.",
      f.chart);
  return {std::move(f)};
}

std::string format_seconds(double s, int digits) {
  const Unit u = time_unit(std::fabs(s));
  return format_number(s * u.factor, digits) + " " + u.name;
}

std::string sweep_chart_id(const std::string& metric) {
  std::string id = "sweep-";
  for (char ch : metric) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u))
      id += static_cast<char>(std::tolower(u));
    else if (id.back() != '-')
      id += '-';
  }
  return id;
}

std::optional<double> usl_at(const json& usl, double n) {
  auto l = number_at(usl, "lambda"), s = number_at(usl, "sigma"), k = number_at(usl, "kappa");
  if (!l || !s || !k) return std::nullopt;
  return usl_throughput(*l, *s, *k, n);
}

namespace {

// The sweep's geometry: the first key's values (x), and the series the
// other keys' values make.
struct SweepShape {
  std::string key;
  bool numeric = true;
  std::vector<std::string> categories;  // when not numeric: the values' texts, in sweep order
  std::vector<std::string> series;      // "key2=v, key3=w", one per combination ("" alone)
  struct At {
    double x;
    std::size_t series;
    const json* point;
  };
  std::vector<At> at;
};

SweepShape sweep_shape(const json& result) {
  SweepShape sh;
  const json* vary = at_key(result, "sweep.vary");
  if (vary && vary->is_array() && !vary->empty() && (*vary)[0].is_object())
    sh.key = (*vary)[0].value("key", "");
  const json* points = at_key(result, "points");
  if (!points || !points->is_array()) return sh;
  for (const json& p : *points) {
    const json& o = object_at(p, "overrides");
    if (!o.contains(sh.key) || !o[sh.key].is_number()) sh.numeric = false;
  }
  for (const json& p : *points) {
    const json& o = object_at(p, "overrides");
    if (!o.contains(sh.key)) continue;
    std::string rest;
    for (const auto& [k, v] : o.items())
      if (k != sh.key) rest += (rest.empty() ? "" : ", ") + k + "=" + value_text(v);
    std::size_t s = std::find(sh.series.begin(), sh.series.end(), rest) - sh.series.begin();
    if (s == sh.series.size()) sh.series.push_back(rest);
    double x;
    if (sh.numeric) {
      x = o[sh.key].get<double>();
    } else {
      const std::string text = value_text(o[sh.key]);
      std::size_t i = std::find(sh.categories.begin(), sh.categories.end(), text) - sh.categories.begin();
      if (i == sh.categories.size()) sh.categories.push_back(text);
      x = static_cast<double>(i);
    }
    sh.at.push_back({x, s, &p});
  }
  return sh;
}

// The metrics a sweep charts, in order: the knee's (or throughput) first,
// the USL's and the SLO's, then the main figures the points have.
std::vector<std::string> sweep_metrics(const json& result, const SweepShape& sh) {
  static const std::regex main_re(
      R"(throughput\.(forks|failures)_per_s|paths\.[^.]+\.latency_s\.(p50|p99)|requests\.latency_s\.(p50|p99)|response_s\.(p50|p90)|cpu\.utilization|locks\.pidlock\.utilization)");
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (n.empty() || std::find(names.begin(), names.end(), n) != names.end()) return;
    for (const auto& a : sh.at)
      if (metrics_figure(object_at(*a.point, "metrics"), n)) {
        names.push_back(n);
        return;
      }
  };
  add("throughput.forks_per_s");
  add(text_at(result, "knee.metric"));
  add(text_at(result, "usl.metric"));
  add(text_at(result, "slo.metric"));
  std::set<std::string> seen;
  for (const auto& a : sh.at)
    for (const auto& [n, v] : object_at(*a.point, "metrics").items())
      if (std::regex_match(n, main_re)) seen.insert(n);
  for (const std::string& n : seen) {
    // A figure that is 0 at every point (no failures) says nothing a chart needs.
    bool nonzero = false;
    for (const auto& a : sh.at)
      if (auto f = metrics_figure(object_at(*a.point, "metrics"), n); f && f->value != 0) nonzero = true;
    if (nonzero) add(n);
  }
  return names;
}

// Geometric sweeps (1, 2, 4, ...) read on a log axis.
bool geometric(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  if (xs.size() < 3 || xs.front() <= 0 || xs.back() / xs.front() < 8) return false;
  double rmin = INFINITY, rmax = 0, dmin = INFINITY, dmax = 0;
  for (std::size_t i = 1; i < xs.size(); ++i) {
    rmin = std::min(rmin, xs[i] / xs[i - 1]), rmax = std::max(rmax, xs[i] / xs[i - 1]);
    dmin = std::min(dmin, xs[i] - xs[i - 1]), dmax = std::max(dmax, xs[i] - xs[i - 1]);
  }
  return rmax / rmin < dmax / dmin;
}

// The SLO's bound, from its objective "METRIC<=BOUND" (or >=).
std::optional<double> slo_bound(const json& slo) {
  const std::string obj = text_at(slo, "objective");
  const std::size_t op = obj.find_first_of("<>");
  if (op == std::string::npos || op + 2 > obj.size()) return std::nullopt;
  try {
    std::size_t used = 0;
    const std::string rest = obj.substr(op + 2);
    double v = std::stod(rest, &used);
    return used == rest.size() ? std::optional<double>(v) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ChartFigure sweep_chart(const json& result, const SweepShape& sh, const std::string& metric) {
  ChartFigure f = new_figure(sweep_chart_id(metric), metric + " against " + sh.key, sh.key, sh.key);
  std::vector<Series> series(sh.series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    series[i].name = sh.series[i].empty() ? "mean" : sh.series[i];
    series[i].style = sh.numeric ? SeriesStyle::LinePoints : SeriesStyle::Points;
  }
  std::vector<double> xs;
  for (const auto& a : sh.at) {
    xs.push_back(a.x);
    if (auto fig = metrics_figure(object_at(*a.point, "metrics"), metric))
      series[a.series].points.push_back(point_of(a.x, *fig, 1));
  }
  for (Series& s : series)
    std::stable_sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
  f.chart.series = std::move(series);
  std::string notes;
  if (sh.numeric) {
    f.chart.x.log = geometric(xs);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    if (xs.size() <= 12) f.chart.x.ticks = xs;
  } else {
    f.chart.x.categories = sh.categories;
  }
  if (sh.series.size() > 1)
    notes += " One line per value of the other varied keys.";

  const json& knee = object_at(result, "knee");
  if (knee.value("found", false) && text_at(knee, "key") == sh.key && number_at(knee, "x") && sh.numeric) {
    f.chart.markers.push_back({*number_at(knee, "x"), "knee: " + format_number(*number_at(knee, "x"))});
    if (text_at(knee, "metric") == metric) {
      notes += " The knee of this curve (" + text_at(knee, "method") + "): " + sh.key + "=" +
               format_number(*number_at(knee, "x"));
      if (auto r = text_at(knee, "bottleneck.resource"); !r.empty())
        notes += ", busiest there: " + r + " at " +
                 format_number(number_at(knee, "bottleneck.utilization").value_or(kNaN) * 100) + "%";
      notes += ".";
    }
  } else if (!knee.empty() && text_at(knee, "metric") == metric) {
    notes += " No knee: " + text_at(knee, "reason") + ".";
  }

  const json& usl = object_at(result, "usl");
  if (text_at(usl, "metric") == metric && usl_at(usl, 1) && sh.numeric && !xs.empty()) {
    Series curve;
    curve.name = "USL fit";
    curve.mark_class = "usl";
    curve.dashed = true;
    curve.in_table = false;
    const double lo = xs.front(), hi = xs.back();
    for (int i = 0; i <= 120; ++i) {
      const double n = f.chart.x.log ? lo * std::pow(hi / lo, i / 120.0) : lo + (hi - lo) * i / 120.0;
      curve.points.push_back({n, *usl_at(usl, n), std::nullopt, std::nullopt});
    }
    f.chart.series.push_back(std::move(curve));
    notes += " Dashed: the USL fit X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)), lambda " +
             format_number(number_at(usl, "lambda").value_or(kNaN)) + ", sigma " +
             format_number(number_at(usl, "sigma").value_or(kNaN)) + ", kappa " +
             format_number(number_at(usl, "kappa").value_or(kNaN)) + ", R^2 " +
             format_number(number_at(usl, "r2").value_or(kNaN));
    if (auto pn = number_at(usl, "peak_ncpus"))
      notes += "; its peak: " + format_number(number_at(usl, "peak_throughput").value_or(kNaN)) + " at " +
               format_number(*pn) + " CPUs";
    else
      notes += "; no peak (kappa 0)";
    notes += ".";
  } else if (text_at(usl, "metric") == metric && usl.contains("reason")) {
    notes += " No USL fit: " + text_at(usl, "reason") + ".";
  }

  const json& slo = object_at(result, "slo");
  if (text_at(slo, "metric") == metric) {
    if (auto b = slo_bound(slo)) f.chart.lines.push_back({*b, ""});  // labelled once the unit is known
    if (auto ans = number_at(slo, "answer")) {
      f.chart.markers.push_back({*ans, "SLO answer: " + format_number(*ans)});
      notes += " SLO " + text_at(slo, "objective") + ": the highest " + sh.key +
               " meeting it with 95% confidence is " + format_number(*ans) + ".";
    } else {
      notes += " SLO " + text_at(slo, "objective") + ": no " + sh.key + " in the range meets it with 95% "
               "confidence (" + text_at(slo, "reason") + ").";
    }
    // Points the search added between the sweep's own.
    Series extra = series_of("SLO search points", SeriesStyle::Points);
    const json* ev = at_key(slo, "points");
    if (ev && ev->is_array() && sh.numeric)
      for (const json& p : *ev) {
        auto x = number_at(p, "x"), m = number_at(p, "mean"), h = number_at(p, "half_width");
        if (!x || !m || std::find(xs.begin(), xs.end(), *x) != xs.end()) continue;
        ChartPoint cp{*x, *m, std::nullopt, std::nullopt};
        if (h) cp.lo = *m - *h, cp.hi = *m + *h;
        extra.points.push_back(cp);
      }
    if (!extra.points.empty()) f.chart.series.push_back(std::move(extra));
  }

  // Units last: every value above is in the metric's own.
  const Unit u = metric_unit(metric, max_abs(chart_values(f.chart)));
  scale_values(f.chart, u.factor);
  f.y_unit = u.name;
  f.chart.y.label = with_unit(metric, u.name);
  for (HLine& h : f.chart.lines)
    if (h.label.empty()) {
      const std::string obj = text_at(slo, "objective");
      const std::size_t op = obj.find_first_of("<>");
      h.label = "SLO: " + obj.substr(op, 2) + " " + format_number(h.y) + (u.name.empty() ? "" : " " + u.name);
    }
  f.caption = caption_with_notes(
      "Points: the mean over each point's replications; shaded: the 95% interval of the mean." + notes +
          (f.chart.x.log ? " The x axis is logarithmic (the swept values are geometric)." : ""),
      f.chart);
  return f;
}

}  // namespace

std::vector<ChartFigure> sweep_charts(const json& result) {
  const SweepShape sh = sweep_shape(result);
  std::vector<ChartFigure> out;
  if (sh.at.empty()) return out;
  for (const std::string& m : sweep_metrics(result, sh)) {
    ChartFigure f = sweep_chart(result, sh, m);
    if (has_points(f.chart)) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace forksim
