// `forksim run --replay RESULT.json`: reruns every run a result holds (a
// replicated run's replications, a sweep's points at each of their seeds,
// or a single report) from the run's own resolved scenario and seed, each
// in its own process, and compares every numeric metric (numeric_metrics:
// wall-clock and manifest fields aside) exactly. Exit 0 when all match, 1
// when one differs (the first differences listed), 2 for a file that is
// not a result.
#pragma once
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace forksim {

// One run of a result: where it is ("point 2 (...), replication 1") and its report.
struct StoredRun {
  std::string label;
  nlohmann::json report;
};

// The runs of a result, checked: each has its scenario and a seed that is
// the one its replications list gives. Throws ScenarioError naming --replay.
std::vector<StoredRun> stored_runs(const nlohmann::json& result);

int replay_result(const boost::program_options::variables_map& vm, std::ostream& out, std::ostream& err);

}  // namespace forksim
