// `forksim sweep --vary KEY=LIST`: the grammar of a LIST and the points of
// a sweep.
//
// LIST is one of
//   1,2,4,8          values, each read as --set reads one (JSON when it is
//                    JSON, else a string: kernel.fork_backoff=illumos,none;
//                    a comma inside {}, [] or "" does not split);
//   100:2000:100     an arithmetic range, both ends included when the step
//                    lands on them; each value is computed as start + k x step
//                    and rounded to the decimals the start and step are
//                    written with, so 0.1:0.5:0.1 gives 0.3, not
//                    0.30000000000000004, and no error accumulates;
//   1:64:x2          a geometric range: start, start x factor, ... up to the
//                    end (start > 0, factor > 1, or < 1 going down).
// A range of integers gives integers. Every failure is a ScenarioError
// naming the key (or --vary) and why.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forksim {

// The most values one --vary, and points one sweep, may have.
constexpr std::size_t kMaxSweepPoints = 10000;

struct Vary {
  std::string key;
  std::vector<nlohmann::json> values;
  std::vector<std::string> sets;  // "KEY=VALUE" for each value, as --set takes it
};

Vary parse_vary(const std::string& arg);

struct SweepPoint {
  nlohmann::json overrides = nlohmann::json::object();  // {key: value}
  std::vector<std::string> sets;                        // in --vary order
};

// Every combination (the first --vary varies slowest), or with `zip` the
// i-th value of every key together (the lists must be equally long).
// Throws ScenarioError for a key varied twice, lists of unequal lengths
// under --zip, or more than kMaxSweepPoints points.
std::vector<SweepPoint> sweep_points(const std::vector<Vary>& vary, bool zip);

// "point 3 (workload.parents=8, machine.ncpus=4)".
std::string point_label(std::size_t index, const SweepPoint& p);

}  // namespace forksim
