// `forksim run SCENARIO --replications R [--jobs N] [--precision P ...]`:
// R runs, replication i at seed s + i, each in its own process, and the
// "replicated" result (design doc) with every metric's t interval. The
// options that set the replications are shared with `forksim sweep`.
#pragma once
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "driver/stopping.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

// --replications (default_help says the default), --precision, --metric,
// --max-replications, --jobs.
void add_replication_options(boost::program_options::options_description& d,
                             const char* replications_help);

// Whether any option asks for replications (--jobs alone is refused).
bool replications_asked(const boost::program_options::variables_map& vm);

// The rule the options give; `default_replications` without --replications.
// Throws ScenarioError or Usage naming the option.
StopRule stop_rule(const boost::program_options::variables_map& vm, int default_replications);

// Runs the replications of `raw` (edits and --seed applied; s is it parsed)
// and writes the result with -o. Returns the exit status.
int run_replicated(const boost::program_options::variables_map& vm, const nlohmann::json& raw,
                   const Scenario& s, const std::vector<std::string>& command_line,
                   std::ostream& out, std::ostream& err);

}  // namespace forksim
