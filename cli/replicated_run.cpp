#include "cli/replicated_run.hpp"

#include <cmath>
#include <cstdlib>
#include <optional>

#include "cli/experiment_setup.hpp"
#include "cli/experiment_summary.hpp"
#include "cli/interrupt.hpp"
#include "cli/manifest.hpp"
#include "cli/mpi_worker.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/report_budget.hpp"
#include "cli/run_one.hpp"
#include "driver/replicate.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

int int_option(const po::variables_map& vm, const std::string& name, int absent) {
  if (!vm.count(name)) return absent;
  const std::string& text = vm[name].as<std::string>();
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || n < 0 || n > 1000000)
    throw Usage("--" + name + " must be a whole number, got '" + printable(text) + "'");
  return static_cast<int>(n);
}

}  // namespace

void add_replication_options(po::options_description& d, const char* replications_help) {
  d.add_options()
      ("replications", po::value<std::string>(), replications_help)
      ("jobs,j", po::value<std::string>(),
       "runs at once, each in its own process (default: the CPUs this process may use, "
       "never more than there are runs); the memory budget is divided among them")
      ("precision", po::value<std::string>(),
       "sequential stopping: add replications until the 95% interval's relative half-width "
       "of --metric is at most this (0.02: 2%); judged from 5 replications on, then after "
       "each one in seed order")
      ("metric", po::value<std::string>(),
       "the metric --precision judges, a dotted key of the run report (default "
       "throughput.forks_per_s)")
      ("max-replications", po::value<std::string>(),
       "with --precision: stop at this many replications (default 50)");
  add_mpi_options(d);
}

bool replications_asked(const po::variables_map& vm) {
  for (const char* o : {"replications", "precision", "metric", "max-replications"})
    if (vm.count(o)) return true;
  // A single run has one process: --jobs alone would change nothing.
  if (vm.count("jobs")) throw Usage("--jobs goes with --replications or --precision");
  if (mpi_asked(vm)) throw Usage("--mpi goes with --replications or --precision");
  return false;
}

StopRule stop_rule(const po::variables_map& vm, int default_replications) {
  StopRule r;
  r.replications = int_option(vm, "replications", default_replications);
  if (vm.count("precision")) {
    Precision p;
    const std::string& text = vm["precision"].as<std::string>();
    char* end = nullptr;
    p.target = std::strtod(text.c_str(), &end);
    if (text.empty() || *end) throw Usage("--precision must be a number (0.02 for 2%), got '" + printable(text) + "'");
    if (vm.count("metric")) p.metric = vm["metric"].as<std::string>();
    p.max_replications = int_option(vm, "max-replications", kDefaultMaxReplications);
    r.precision = p;
  } else {
    for (const char* o : {"metric", "max-replications"})
      if (vm.count(o)) throw Usage(std::string("--") + o + " goes with --precision");
  }
  check_rule(r);
  return r;
}

int run_replicated(const po::variables_map& vm, const json& raw, const Scenario& s,
                   const std::vector<std::string>& command_line, std::ostream& out, std::ostream& err) {
  StopRule rule = stop_rule(vm, 1);
  std::unique_ptr<MpiRun> mpi = MpiRun::start(vm);  // a worker rank serves its runs
  const int jobs = runs_at_once(mpi.get(), vm, static_cast<std::size_t>(rule.most()));
  RunBudgets budgets = checked_budgets(vm, runs_sharing_memory(mpi.get(), jobs), command_line, s);
  if (mpi && mpi->worker()) return mpi->serve(budgets);
  InterruptGuard interrupts;
  std::optional<OutputFile> output = output_option(vm);
  std::ostream& summary = output && output->is_stdout() ? err : out;

  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  if (mpi) mpi->use(ctx);
  PointSpec spec{raw, "", replication_seeds(s.seed, rule.most()), 0};
  Outcome o = run_points({spec}, rule, ctx);
  end_progress(err);
  const PointResult& r = o.points[0];
  if (o.status == 1 || o.status == 2) {
    err << "forksim run: " << o.message << "\n";
    return o.status;
  }
  if (o.status > 128) {
    err << "forksim run: " << o.message << " after " << r.runs.size()
        << " finished replications; nothing written\n";
    return o.status;
  }
  json result = replicated_json(s.to_json(), r, rule, jobs);
  result["manifest"] = make_manifest(result["scenario"], r.seeds, command_line);
  if (output) output->write(result.dump(2) + "\n", out);
  if (!vm.count("quiet")) print_replicated_summary(summary, result);
  if (o.status == 3) {
    err << "forksim run: stopped early: " << o.message << "; the result has the " << r.runs.size()
        << " replications before it and is marked incomplete\n";
    return 3;
  }
  if (int sig = interrupt_signal()) return 128 + sig;
  return 0;
}

}  // namespace forksim
