// `forksim run --replay RESULT.json` for a replicated run or a sweep:
// reruns every run the result holds (each replication; each point at each
// of its seeds) from the run's own resolved scenario and seed, each in its
// own process over the driver, and compares every numeric metric exactly
// (analysis/replay_check.hpp). A single run's report replays in
// cli/replay.hpp. Exit 0 when all match, 1 when one differs (the first
// differences listed), 2 for a result that cannot be replayed, 3 when a
// rerun was stopped by a budget.
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

// The runs of a replicated run or a sweep, checked: each is a complete
// report with its scenario, and its seed is the one its replications list
// gives. Throws ResultFileError naming `file`.
std::vector<StoredRun> stored_runs(const nlohmann::json& result, const std::string& file);

int replay_experiment(const boost::program_options::variables_map& vm, const nlohmann::json& result,
                      const std::string& file, const std::vector<std::string>& command_line,
                      std::ostream& out, std::ostream& err);

}  // namespace forksim
