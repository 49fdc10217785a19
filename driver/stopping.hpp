// When a point has had enough replications: a fixed count, or sequential
// stopping on the relative half-width of one metric's Student-t interval
// (as JMT stops at a target precision). Pure functions of the metric's
// values in seed order, so the answer is the same whatever order the runs
// finished in and however many ran at once.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace forksim {

// The fewest replications a precision target is judged on: with fewer, the
// half-width is itself too noisy to stop on (t(0.975, 1) = 12.7, and the
// sample standard deviation of 2 or 3 values is often far too small).
constexpr int kMinPrecisionReplications = 5;
constexpr int kDefaultMaxReplications = 50;

struct Precision {
  double target = 0.02;                             // relative half-width to reach
  std::string metric = "throughput.forks_per_s";
  int max_replications = kDefaultMaxReplications;
};

struct StopRule {
  int replications = 1;               // without precision: exactly these
  std::optional<Precision> precision;
  double level = 0.95;
  // The first count at which the rule is judged, and the most it may run.
  int initial() const;
  int most() const;
};

struct Stopped {
  std::string reason;                 // "asked" | "precision reached" | "max replications"
  std::optional<double> rel_half_width;  // of the precision metric, when judged
};

// The decision after the first values.size() replications (nullopt: one
// more). values[i] is the precision metric of replication i, absent when
// that report lacked it (then no interval, and precision cannot be reached).
std::optional<Stopped> decide(const StopRule& rule, const std::vector<std::optional<double>>& values);

// The relative half-width of the values' interval, when there is one.
std::optional<double> rel_half_width(const std::vector<std::optional<double>>& values, double level);

// Checks the rule's numbers; throws ScenarioError naming the option.
void check_rule(const StopRule& rule);

}  // namespace forksim
