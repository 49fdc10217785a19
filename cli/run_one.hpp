// One simulation, as `forksim run` makes it and as each child of a
// replicated run or a sweep makes it: the scenario under the run monitor's
// budgets, to its report. The one place (with the tests) that calls
// run_scenario.
#pragma once
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/monitor.hpp"
#include "cli/output_file.hpp"
#include "cli/trace_file.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

struct RunBudgets {
  MonitorOptions monitor;
  bool step_by_step = false;
  std::vector<std::string> command_line;  // for the report's manifest
};

// The budgets --max-wall-s, --max-memory-mb, --progress (with --quiet) and
// --step-by-step give. The memory budget is divided among `jobs` runs at
// once; its default is 80% of the machine's smallest limit.
RunBudgets run_budgets(const boost::program_options::variables_map& vm, int jobs = 1);

// run_budgets with the command line for the manifests, s's report checked
// against the memory budget (cli/report_budget.hpp).
RunBudgets checked_budgets(const boost::program_options::variables_map& vm, int jobs,
                           const std::vector<std::string>& command_line, const Scenario& s);

// -o's file when given, checked now so that an unusable -o costs nothing.
std::optional<OutputFile> output_option(const boost::program_options::variables_map& vm);

// Runs s under the budgets (progress, when on, to err) and returns its
// report (its manifest in it), marked incomplete when a budget or a signal
// stopped it. warmup_s "auto" first runs its pilot in a child process
// (cli/auto_warmup.hpp), so the caller must not have started SimGrid.
// With `trace`, the run's timeline is written there too (the pilot is not
// traced).
nlohmann::json run_one(const Scenario& s, const RunBudgets& b, std::ostream& err,
                       const TraceRequest* trace = nullptr);

}  // namespace forksim
