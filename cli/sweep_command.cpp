#include "cli/sweep_command.hpp"

#include <boost/program_options.hpp>
#include <unistd.h>

#include <climits>
#include <optional>

#include "cli/experiment_setup.hpp"
#include "cli/experiment_summary.hpp"
#include "cli/interrupt.hpp"
#include "cli/manifest.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/replicated_run.hpp"
#include "cli/report_budget.hpp"
#include "cli/run_one.hpp"
#include "driver/capacity.hpp"
#include "driver/partial_log.hpp"
#include "driver/pool_point_runner.hpp"
#include "driver/shard.hpp"
#include "driver/slo_search.hpp"
#include "driver/sweep.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

// The partial log sits beside -o, so -o must be a file's name.
void check_sweep_output(const std::string& path) {
  if (path == "-" || path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0)
    throw Usage("-o must name a file (the finished points are kept beside it in "
                "FILE.partial.jsonl while the sweep runs), got '" + printable(path, 200) + "'");
}

// A shard's manifest names the machine that ran it, which a merge keeps.
std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
}

// The capacity answers need the whole curve: a shard leaves them to the
// merge, and the SLO search, which adds points between the swept ones from
// the scenario as given, to an unsharded sweep.
void check_shard_options(const po::variables_map& vm) {
  if (vm.count("slo"))
    throw Usage("--slo cannot be used with --shard: the SLO search adds points between the whole "
                "sweep's, which no shard has; run the search as one sweep (forksim sweep --slo ...), "
                "or shard the sweep without --slo and read the knee of the merged result");
  if (!vm["knee-metric"].defaulted())
    throw Usage("--knee-metric is not a shard's: the knee and the USL are found when the shards "
                "are merged: forksim merge OUT.json SHARD... --knee-metric " +
                printable(vm["knee-metric"].as<std::string>(), 200));
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
              std::ostream& out, std::ostream& err) {
  po::options_description d("forksim sweep SCENARIO --vary KEY=LIST [options]");
  d.add_options()
      ("scenario", po::value<std::string>(), kScenarioHelp)
      ("vary", po::value<std::vector<std::string>>(),
       "a key and its values: KEY=1,2,4,8 (values as --set reads them), KEY=100:2000:100 "
       "(a range, both ends included), KEY=1:64:x2 (geometric); repeatable: every combination, "
       "the first --vary slowest")
      ("zip", "vary the keys in lock-step (the i-th value of each together; equal lengths)")
      ("output,o", po::value<std::string>(),
       "the sweep's JSON result (required: a file; the finished points are appended to "
       "FILE.partial.jsonl meanwhile, removed when the result is written)")
      ("csv", po::value<std::string>(),
       "also write a long-form table: the varied keys, metric, mean, half_width, n")
      ("quiet,q", "print no summary")
      ("max-wall-s", po::value<std::string>()->default_value("0"),
       "stop past this wall time for the whole sweep (exit 3, result marked incomplete); 0: no limit")
      ("max-memory-mb", po::value<std::string>(),
       "memory budget, divided among the --jobs runs at once (default: 80% of the smallest of "
       "physical memory, the memory cgroup's limit and RLIMIT_AS); 0: no limit")
      ("progress", po::value<std::string>()->default_value("auto"),
       "progress on stderr: on, off, or auto (when stderr is a terminal and not --quiet)");
  d.add_options()
      ("shard", po::value<std::string>(),
       "run only the I-th of N slices of the points, I/N from 1/N to N/N (a job array's "
       "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), balanced by each point's expected cost; "
       "the result holds those points and a \"shard\" object; forksim merge combines the N "
       "results (no knee, USL or --slo here)")
      ("slo", po::value<std::string>(),
       "an objective, METRIC<=BOUND or METRIC>=BOUND (\"paths.fork1.latency_s.p99<=0.005\"): "
       "the highest load of the one varied key that meets it with 95% confidence, refined by "
       "adding points and replications where the answer is decided")
      ("knee-metric", po::value<std::string>()->default_value("throughput.forks_per_s"),
       "the metric whose knee against the varied key is found (Kneedle), and that the USL is "
       "fitted to when the key is machine.ncpus");
  add_replication_options(d, "replications per point (default 3), replication i with seed + i "
                             "at every point (common random numbers)");
  add_scenario_options(d);
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "scenario", out, vm, edits)) return 0;
  if (!vm.count("vary")) throw Usage("needs at least one --vary KEY=LIST");
  if (!vm.count("output")) throw Usage("needs -o FILE for the result");
  const std::string path = vm["output"].as<std::string>();
  check_sweep_output(path);
  std::optional<ShardSpec> shard;
  if (vm.count("shard")) {
    shard = parse_shard(vm["shard"].as<std::string>());
    check_shard_options(vm);
  }

  SweepOptions opt;
  for (const std::string& v : vm["vary"].as<std::vector<std::string>>()) opt.vary.push_back(parse_vary(v));
  opt.zip = vm.count("zip") > 0;
  opt.rule = stop_rule(vm, kDefaultSweepReplications);
  json raw = load_raw(vm, edits);
  parse_scenario(raw);  // the base itself, before its points
  // A shard takes the whole sweep's --jobs default, so that its points
  // record what they would in the whole sweep.
  const std::size_t npoints = sweep_points(opt.vary, opt.zip).size();
  const int jobs = jobs_option(vm, npoints * static_cast<std::size_t>(opt.rule.most()));
  RunBudgets budgets = run_budgets(vm, jobs);
  budgets.command_line = command_line;
  auto fits = [&budgets](const Scenario& s) { check_report_fits(s, budgets.monitor.max_memory_mb); };
  SweepPlan plan = plan_sweep(raw, opt, fits);  // every point checked, a shard's or not
  if (shard) plan = shard_plan(plan, *shard);
  CapacityOptions capacity;
  capacity.metric = vm["knee-metric"].as<std::string>();
  if (vm.count("slo")) capacity.slo = vm["slo"].as<std::string>();
  json definition = {{"vary", json::array()}};
  for (const Vary& v : opt.vary) definition["vary"].push_back({{"key", v.key}, {"values", v.values}});
  check_capacity_options(definition, capacity);  // a bad --slo costs nothing

  InterruptGuard interrupts;
  OutputFile output(path);
  std::optional<OutputFile> csv;
  if (vm.count("csv")) csv.emplace(vm["csv"].as<std::string>());
  PartialLog log(path + ".partial.jsonl");

  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  ctx.named_metrics.emplace_back("--knee-metric", capacity.metric);
  if (capacity.slo) ctx.named_metrics.emplace_back("--slo", parse_objective(*capacity.slo).metric);
  std::size_t finished = 0;
  Outcome o = run_sweep(plan, opt, ctx, [&](const json& point) {
    log.append(point.dump());
    ++finished;
  });
  end_progress(err);
  if (o.status == 2) {  // a bad --metric, seen on the first report: bad input, nothing kept
    log.remove();
    err << "forksim sweep: " << o.message << "\n";
    return 2;
  }
  if (o.status == 1 || o.status > 128) {
    err << "forksim sweep: " << o.message << "; the " << finished << " finished points are in "
        << log.path() << "; " << printable(path, 200) << " was not written\n";
    return o.status;
  }
  json result = sweep_json(plan, opt, o, jobs);
  result["manifest"] =
      make_manifest(result["scenario"], result["sweep"]["seeds"].get<std::vector<uint64_t>>(), command_line);
  if (shard) {
    result["shard"] = shard_json(*shard, plan);
    if (std::string host = host_name(); !host.empty()) result["manifest"]["host"] = host;
  }
  // The knee, the USL and the SLO answer; the SLO search runs more points,
  // so it can fail or be interrupted: the finished points stay in the log.
  try {
    if (!shard) add_capacity_answers(result, pool_point_runner(raw, ctx, fits), capacity);
  } catch (const ExperimentStopped& e) {
    end_progress(err);
    err << "forksim sweep: " << e.what() << " (in the SLO search); the " << finished
        << " finished points are in " << log.path() << "; " << printable(path, 200)
        << " was not written\n";
    return e.status;
  } catch (const ScenarioError& e) {  // an unknown --knee-metric or --slo metric
    err << "forksim: " << e.what() << "; the " << finished << " finished points are in "
        << log.path() << "; " << printable(path, 200) << " was not written\n";
    return 2;
  }
  end_progress(err);
  output.write(result.dump(2) + "\n", out);
  if (csv) csv->write(sweep_csv(result), out);
  log.remove();
  if (!vm.count("quiet")) {
    print_sweep_summary(out, result);
    if (shard)
      out << "shard " << shard->index << "/" << shard->count << ": points "
          << (plan.indices.empty() ? std::string("none") : result["shard"]["points"].dump())
          << "; forksim merge OUT.json SHARD... combines the " << shard->count << " shards\n";
  }
  if (o.status == 3) {
    err << "forksim sweep: stopped early: " << o.message << "; the result has the " << finished
        << " points finished before it and is marked incomplete\n";
    return 3;
  }
  if (int sig = interrupt_signal()) return 128 + sig;
  return 0;
}

}  // namespace forksim
