// The charts of the HTML report, built from a result's JSON: which charts a
// run, a replicated run and a sweep get, and what each one draws. Pure
// functions; the page around them is analysis/html_report.hpp.
//
// Chart ids (the HTML contract, ISSUE13_DESIGN.md): run and replicated:
// latency-percentiles, lock-utilization, lock-wait, cpu, service-latency
// (a service's requests near and away from a fork); a time series of more
// than one sample: ts-nproc, ts-failures, ts-fork-fail-pending,
// ts-admin-latency, ts-response, ts-request-latency (each latency column
// where some group has it); replicated: replicated-metrics; sweep:
// sweep-<metric> with the metric's dots and underscores made hyphens
// (sweep-throughput-forks-per-s first).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/svg_chart.hpp"

namespace forksim {

struct ChartFigure {
  std::string id;       // "latency-percentiles": the figure's id is chart-<id>
  std::string heading;  // what the chart shows, a short sentence
  std::string caption;  // how to read it: units, intervals, the axis notes
  Chart chart;
  std::string x_header;  // the table's first column
  std::string y_unit;    // of every tabulated value ("ms", "%", "forks/s")
  // The table under the chart, header row first; empty: chart_table's.
  std::vector<std::vector<std::string>> table;
};

// The figures a chart draws as a table: one row per x (category or value),
// a column per tabulated series and one for its interval where it has
// any ("[lo, hi]"), values to 6 significant digits in the chart's unit.
std::vector<std::vector<std::string>> chart_table(const ChartFigure& f);

// One figure of a result: a value and its 95% interval when it has one.
struct Figure {
  double value = 0;
  std::optional<double> lo, hi;
};
// Looks a dotted key ("paths.fork1.latency_s.p99") up; nullopt when absent.
using Figures = std::function<std::optional<Figure>(const std::string& key)>;

// A run report's figures: the number at the key, a percentile's interval
// from the "ci" beside it.
std::optional<Figure> report_figure(const nlohmann::json& report, const std::string& key);
// A replicated result's (or a sweep point's) "metrics": the mean, lo and hi.
std::optional<Figure> metrics_figure(const nlohmann::json& metrics, const std::string& key);

// The charts of one run's figures: latency per path, locks, CPU, and a
// service's latency near and away from forks. `shape` is a report (the
// paths, locks and groups to chart); `figures` gives the values (the
// report's own, or a replicated result's means); `replicated` says which,
// for the captions. A report with a time series draws its CPU use over
// time (`figures` then being the report's own).
std::vector<ChartFigure> run_charts(const nlohmann::json& shape, const Figures& figures,
                                    bool replicated);

// The time-series charts of a report (none for fewer than 2 samples);
// `whose` is put in each caption ("replication 0 (seed 1)" or "").
std::vector<ChartFigure> timeseries_charts(const nlohmann::json& report, const std::string& whose);

// replicated-metrics: each main figure's replications and 95% interval,
// relative to its mean.
std::vector<ChartFigure> replicated_charts(const nlohmann::json& result);

// sweep-<metric> charts: each main metric against the first varied key,
// one series per value of the others, with bands, the knee, the SLO and
// the USL fit.
std::vector<ChartFigure> sweep_charts(const nlohmann::json& result);

// Seconds in the unit that suits them: "89.3 us" (with the micro sign), "1.26 s".
std::string format_seconds(double s, int digits = 4);

// The chart id of a sweep metric: "sweep-" + the name, dots and
// underscores made hyphens, lowercased.
std::string sweep_chart_id(const std::string& metric);

// The USL's throughput at n, from the sweep's "usl" object; nullopt when
// it holds no fit.
std::optional<double> usl_at(const nlohmann::json& usl, double n);

}  // namespace forksim
