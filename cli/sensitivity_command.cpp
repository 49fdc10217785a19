#include "cli/sensitivity_command.hpp"
#include "cli/exit_status.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <optional>
#include <set>
#include <sstream>

#include "cli/mpi_worker.hpp"
#include "cli/options.hpp"
#include "cli/interrupt.hpp"
#include "cli/output_file.hpp"
#include "cli/experiment_setup.hpp"
#include "cli/report_budget.hpp"
#include "cli/run_one.hpp"
#include "driver/pool_point_runner.hpp"
#include "cli/manifest.hpp"
#include "driver/sensitivity.hpp"
#include "models/costs.hpp"
#include "models/steps.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

// "25%" or "0.25": a fraction in (0, 1).
double cost_change(const std::string& text) {
  std::string t = text;
  double scale = 1;
  if (!t.empty() && t.back() == '%') t.pop_back(), scale = 100;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || !(v / scale > 0 && v / scale < 1))
    throw Usage("--vary-costs must be a fraction in (0, 1) or a percentage in (0%, 100%), got '" +
                printable(text) + "'");
  return v / scale;
}

std::vector<std::string> all_step_names() {
  std::vector<std::string> v;
  for (const auto& st : step_catalogue()) v.push_back(st.name);
  return v;
}

// The steps asked for (all of them without --costs), with their costs in
// this scenario and each default's basis.
std::vector<CostEntry> cost_entries(const Scenario& s, const po::variables_map& vm) {
  std::vector<const StepInfo*> steps;
  if (vm.count("costs")) {
    std::stringstream list(vm["costs"].as<std::string>());
    std::string name;
    std::set<std::string> seen;
    while (std::getline(list, name, ',')) {
      const StepInfo* st = find_step(name);
      if (!st)
        throw Usage("--costs: unknown step '" + printable(name) + "'; `forksim explain` lists them" +
                    did_you_mean(name, all_step_names()));
      if (seen.insert(name).second) steps.push_back(st);
    }
    if (steps.empty()) throw Usage("--costs: name at least one step");
  } else {
    for (const auto& st : step_catalogue()) steps.push_back(&st);
  }
  const json costs = s.to_json().value("costs", json::object());
  const CostTable table(s.costs, s.seed);
  std::vector<CostEntry> out;
  for (const StepInfo* st : steps) {
    CostEntry c;
    c.step = st->name;
    c.basis_note = st->basis;
    c.basis = c.basis_note.substr(0, c.basis_note.find(':'));
    c.set_by_scenario = costs.contains(st->name) || costs.contains("*");
    c.value = costs.contains(st->name) ? costs[st->name]
              : costs.contains("*")    ? costs["*"]
                                       : json(st->cost_ns);
    c.mean_ns = table.dist(st->id).mean();
    out.push_back(std::move(c));
  }
  return out;
}

std::string elasticity_text(const json& i) {
  if (i.is_null()) return "n/a";
  std::ostringstream s;
  s << std::setprecision(3) << i["mean"].get<double>();
  if (i["half_width"].is_number()) s << " +/- " << std::setprecision(2) << i["half_width"].get<double>();
  return s.str();
}

void print_elasticities(std::ostream& out, const json& r) {
  out << "elasticity of " << r["metric"].get<std::string>() << " to each step cost (x(1 -/+ "
      << r["delta"].get<double>() * 100 << "%), " << r["replications"] << " replications, baseline "
      << elasticity_text(r["baseline"]) << ")\n";
  std::size_t w = 4;
  for (const auto& c : r["costs"]) w = std::max(w, c["cost"].get<std::string>().size());
  out << std::left << std::setw(6) << "rank" << std::setw(static_cast<int>(w + 2)) << "cost"
      << std::setw(11) << "basis" << std::setw(12) << "cost ns" << "elasticity (95%)\n";
  int rank = 0;
  for (const auto& c : r["costs"]) {
    std::ostringstream ns;
    ns << std::setprecision(4) << c["cost_ns"].get<double>();
    std::string basis = c["basis"].get<std::string>() + (c["set_by_scenario"].get<bool>() ? "*" : "");
    out << std::left << std::setw(6) << ++rank << std::setw(static_cast<int>(w + 2))
        << c["cost"].get<std::string>() << std::setw(11) << basis << std::setw(12) << ns.str()
        << elasticity_text(c["elasticity"]) << "\n";
  }
  if (!r["skipped"].empty())
    out << r["skipped"].size() << " steps of cost 0 skipped (scaling them changes nothing)\n";
  out << "basis: where the default cost comes from (`forksim explain --json`); * the scenario "
         "sets this cost, so the basis is the default's.\n";
}

}  // namespace

int cmd_sensitivity(const std::vector<std::string>& args,
                    const std::vector<std::string>& command_line, std::ostream& out,
                    std::ostream& err) {
  po::options_description d("forksim sensitivity SCENARIO --metric M [options]");
  d.add_options()
      ("scenario", po::value<std::string>(), kScenarioHelp)
      ("metric", po::value<std::string>(), "the report's metric, by its dotted key "
       "(paths.fork1.latency_s.p99); required")
      ("vary-costs", po::value<std::string>()->default_value("25%"),
       "the relative change of each cost, d: runs at cost x (1 - d) and x (1 + d)")
      ("costs", po::value<std::string>(), "the steps to vary, comma-separated (default: all)")
      ("replications", po::value<std::string>(), "replications at each cost (default 3); "
       "replication i runs with the scenario's seed + i at every cost")
      ("jobs", po::value<std::string>(), "simulations at once (default: every CPU)")
      ("output,o", po::value<std::string>(), "write the JSON result here (\"-\": stdout)")
      ("max-wall-s", po::value<std::string>()->default_value("0"),
       "stop past this wall time for the whole study (exit 3, nothing written); 0: no limit")
      ("max-memory-mb", po::value<std::string>(),
       "memory budget, divided among the --jobs runs at once (default: 80% of the smallest of "
       "physical memory, the memory cgroup's limit and RLIMIT_AS); 0: no limit")
      ("progress", po::value<std::string>()->default_value("auto"),
       "progress on stderr: on, off, or auto (when stderr is a terminal and not --quiet)")
      ("quiet,q", "print no table");
  add_mpi_options(d);
  add_scenario_options(d);
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "scenario", out, vm, edits)) return kOk;
  if (!vm.count("metric"))
    throw Usage("--metric is required: the report's metric by its dotted key, e.g. "
                "paths.fork1.latency_s.p99");
  json raw = load_raw(vm, edits);
  Scenario s = parse_scenario(raw);
  SensitivityOptions opt;
  opt.metric = vm["metric"].as<std::string>();
  opt.delta = cost_change(vm["vary-costs"].as<std::string>());
  opt.replications = static_cast<std::size_t>(positive_integer(vm, "replications", 3));
  opt.seed = s.seed;
  const std::vector<CostEntry> costs = cost_entries(s, vm);
  // The baseline and two runs a cost, each replicated.
  std::unique_ptr<MpiRun> mpi = MpiRun::start(vm);  // a worker rank serves its runs
  const int jobs = runs_at_once(mpi.get(), vm, (2 * costs.size() + 1) * opt.replications);
  RunBudgets budgets = checked_budgets(vm, runs_sharing_memory(mpi.get(), jobs), command_line, s);
  if (mpi && mpi->worker()) return mpi->serve(budgets);
  auto fits = [&budgets](const Scenario& p) { check_report_fits(p, budgets.monitor.max_memory_mb); };

  InterruptGuard interrupts;
  std::optional<OutputFile> output;
  if (vm.count("output")) output.emplace(vm["output"].as<std::string>());
  std::ostream& table = output && output->is_stdout() ? err : out;

  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  if (mpi) mpi->use(ctx);
  json result;
  try {
    result = sensitivity(costs, pool_point_runner(raw, ctx, fits), opt);
  } catch (const ExperimentStopped& e) {
    end_progress(err);
    err << "forksim sensitivity: " << e.what() << "; nothing written\n";
    return e.status;
  }
  end_progress(err);
  json doc = {{"kind", "sensitivity"},
              {"schema_version", 1},
              {"manifest", make_manifest(s.to_json(), result["seeds"].get<std::vector<uint64_t>>(),
                                         command_line)},
              {"scenario", s.to_json()}};
  doc.update(result);
  if (output) output->write(doc.dump(2) + "\n", out);
  if (!vm.count("quiet")) print_elasticities(table, doc);
  if (int sig = interrupt_signal()) return kSignalBase + sig;
  return kOk;
}

}  // namespace forksim
