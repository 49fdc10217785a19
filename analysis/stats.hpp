// Confidence intervals over independent replications, pure functions.
//
// Every interval is Student-t at the given level (two-sided, 95% unless
// told), its quantile from Boost.Math: OMNeT++'s normal-theory (z) bars are
// too narrow at the few replications a sweep can afford (at n = 5,
// t(0.975, 4) = 2.776 against z = 1.960). The samples are taken to be
// independent and identically distributed, which separate seeds make them;
// nothing here corrects for autocorrelation within one run.
#pragma once
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forksim {

// The sample mean; 0 for no samples.
double mean_of(const std::vector<double>& xs);

struct Interval {
  double mean = 0;
  double sd = 0;          // sample standard deviation (n - 1)
  std::size_t n = 0;
  double df = 0;          // degrees of freedom (Welch: Satterthwaite's, fractional)
  double level = 0.95;
  // Absent when n < 2 (no spread to measure).
  std::optional<double> half_width;
  // half_width / |mean|; absent when there is no half-width or the mean is 0.
  std::optional<double> rel_half_width() const;
  std::optional<double> lo() const;
  std::optional<double> hi() const;
  // Whether the interval excludes 0 (a difference that is real at `level`).
  bool excludes_zero() const;
};

// The two-sided Student-t quantile t(1 - (1 - level) / 2, df).
double t_quantile(double level, double df);

// Mean of xs with its t interval.
Interval t_interval(const std::vector<double>& xs, double level = 0.95);
// b - a, paired element by element (the same seed at both): the t interval
// of the differences. a and b have the same length (else invalid_argument).
Interval paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                           double level = 0.95);
// b - a from independent samples: Welch's interval, Welch-Satterthwaite df.
Interval welch_difference(const std::vector<double>& a, const std::vector<double>& b,
                          double level = 0.95);

// {"mean", "sd", "n", "df", "level", "half_width", "lo", "hi",
//  "rel_half_width"}; the optional ones are null when absent.
nlohmann::json interval_json(const Interval& i);

// Every numeric figure of one run's report, by dotted key
// ("paths.fork1.latency_s.p99"): booleans, strings, arrays (the time
// series, percentile intervals) and what describes the run rather than
// measures it (scenario.*, manifest.*, seed, schema_version and the
// wall-clock fields wall_time_s, *.wall_*) are left out, and so are the
// locks' per-caller records (locks.<name>.callers.*), which would triple
// the count for detail the locks' own figures sum up.
std::map<std::string, double> numeric_metrics(const nlohmann::json& report);

// {"metrics": {dotted name: interval_json}, "partial": {name: count}}:
// each metric present in every report with its interval across them; a
// metric some reports lack (a percentile too few samples had) goes under
// "partial" with how many had it, rather than an interval over a subset.
nlohmann::json summarise_metrics(const std::vector<nlohmann::json>& reports,
                                 double level = 0.95);

}  // namespace forksim
