#include "cli/sweep_command.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <optional>
#include <sstream>

#include "cli/experiment_setup.hpp"
#include "cli/experiment_summary.hpp"
#include "cli/interrupt.hpp"
#include "cli/manifest.hpp"
#include "cli/mpi_worker.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/replicated_run.hpp"
#include "cli/report_budget.hpp"
#include "cli/run_one.hpp"
#include "driver/capacity.hpp"
#include "driver/partial_log.hpp"
#include "driver/pool_point_runner.hpp"
#include "driver/result_text.hpp"
#include "driver/shard.hpp"
#include "driver/slo_search.hpp"
#include "driver/sweep.hpp"
#include "driver/sweep_resume.hpp"
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

// The log an earlier run of this sweep left, when there is one; a symbolic
// link or anything but a regular file is refused (its points are not ours).
std::optional<std::string> earlier_log(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw ScenarioError("-o", printable(path, 200) + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    throw ScenarioError("-o", printable(path, 200) + ": not a regular file; move it away or choose another -o");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw ScenarioError("-o", printable(path, 200) + ": cannot read it");
  return text.str();
}

std::string failed_list(const json& result) {
  std::string s;
  for (const json& p : result["points"])
    if (p.contains("failed"))
      s += "\n  point " + p["index"].dump() + ": " + p["failed"]["message"].get<std::string>();
  return s;
}

// The result's points (digests) with their runs, read back from the store.
void with_runs(json& result, const SweepTable& table) {
  const std::vector<std::size_t> slots = table.in_order();
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (!table.store.failed(slots[i])) result["points"][i]["runs"] = table.store.point(slots[i]).at("runs");
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
       "the sweep's JSON result (required: a file; the finished and failed points are appended "
       "to FILE.partial.jsonl meanwhile, removed once the result is complete; the same command "
       "with that file present resumes: only the points it lacks run)")
      ("retry-failed", "resuming from FILE.partial.jsonl, run its failed points again too")
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
  add_costs_fragment_option(d);
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
  json raw = load_raw(vm, edits, true);
  parse_scenario(raw);  // the base itself, before its points
  // Every rank has read the same command line this far; a worker rank
  // leaves here for its loop. With --mpi the runs at once are the worker
  // ranks, and each run's memory budget is its share of its host's.
  std::unique_ptr<MpiRun> mpi = MpiRun::start(vm);
  // A shard takes the whole sweep's --jobs default, so that its points
  // record what they would in the whole sweep.
  const std::size_t npoints = sweep_points(opt.vary, opt.zip).size();
  const int jobs = runs_at_once(mpi.get(), vm, npoints * static_cast<std::size_t>(opt.rule.most()));
  RunBudgets budgets = run_budgets(vm, runs_sharing_memory(mpi.get(), jobs));
  budgets.command_line = command_line;
  if (mpi && mpi->worker()) return mpi->serve(budgets);
  auto fits = [&budgets](const Scenario& s) { check_report_fits(s, budgets.monitor.max_memory_mb); };
  SweepPlan plan = plan_sweep(raw, opt, fits);  // every point checked, a shard's or not
  if (shard) plan = shard_plan(plan, *shard);
  CapacityOptions capacity;
  capacity.metric = vm["knee-metric"].as<std::string>();
  if (vm.count("slo")) capacity.slo = vm["slo"].as<std::string>();
  const json definition = sweep_definition(plan, opt);
  check_capacity_options(definition, capacity);  // a bad --slo costs nothing (it reads "vary")

  // An earlier run's log, checked before anything is opened: one of
  // another sweep is refused and left as it is.
  const std::string log_path = path + ".partial.jsonl";
  std::optional<LoggedSweep> logged;
  if (std::optional<std::string> text = earlier_log(log_path))
    logged = read_partial_log(*text, log_path, plan, definition);
  else if (vm.count("retry-failed"))
    throw Usage("--retry-failed resumes from " + printable(log_path, 200) +
                ", which does not exist (a sweep keeps it until every point has finished)");
  SweepTable table = logged ? std::move(logged->points) : SweepTable(plan.points.size());
  const std::vector<std::size_t> to_run = points_to_run(table, vm.count("retry-failed") > 0);

  InterruptGuard interrupts;
  OutputFile output(path);
  std::optional<OutputFile> csv;
  if (vm.count("csv")) csv.emplace(vm["csv"].as<std::string>());
  std::optional<PartialLog> log_file;
  if (logged && logged->has_header) {
    log_file.emplace(log_path, logged->valid_bytes);
  } else {
    if (logged) log_file.emplace(log_path, 0);  // cut short in its header: nothing in it
    else log_file.emplace(log_path);
    log_file->append(partial_log_header(definition).dump());
  }
  PartialLog& log = *log_file;
  if (logged && !vm.count("quiet")) {
    const std::size_t there = plan.points.size() - points_to_run(table, false).size();
    const std::size_t failed = points_to_run(table, true).size() - (plan.points.size() - there);
    err << "forksim sweep: resuming from " << printable(log_path, 200) << ": " << there << " of "
        << plan.points.size() << " points there"
        << (failed ? " (" + std::to_string(failed) + " failed)" : std::string())
        << (logged->dropped_last ? " (its last line, cut short, dropped)" : "") << "; running "
        << to_run.size() << "\n";
  }

  const auto start = std::chrono::steady_clock::now();
  const double max_wall_s = budgets.monitor.max_wall_s;
  auto wall_spent = [start, max_wall_s] {
    return max_wall_s > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= max_wall_s;
  };
  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  if (mpi) mpi->use(ctx);
  ctx.named_metrics.emplace_back("--knee-metric", capacity.metric);
  if (capacity.slo) ctx.named_metrics.emplace_back("--slo", parse_objective(*capacity.slo).metric);
  auto logged_points = [&table] { return table.count(); };
  Outcome o = run_sweep(plan, opt, ctx, to_run, [&](const json& point) {
    std::string line = point.dump();  // the log's line, and the store's text
    log.append(line);
    table.put(*position_of(plan, point.at("index").get<std::size_t>()), point, std::move(line));
  }, wall_spent);
  end_progress(err);
  if (o.status == 2) {  // a bad --metric, seen on the first report: bad input
    if (!logged) log.remove();  // nothing kept; an earlier run's points stay
    err << "forksim sweep: " << o.message << "\n";
    return 2;
  }
  if (o.status == 1 || o.status > 128) {
    err << "forksim sweep: " << o.message << "; the " << logged_points() << " finished or failed points are in "
        << log.path() << "; " << printable(path, 200) << " was not written"
        << (o.lost.empty() ? "" : "; the same command runs the lost points again") << "\n";
    return o.status;
  }
  json result = sweep_json(plan, opt, table);
  result["manifest"] =
      make_manifest(result["scenario"], result["sweep"]["seeds"].get<std::vector<uint64_t>>(), command_line);
  if (shard) {
    result["shard"] = shard_json(*shard, plan);
    if (std::string host = host_name(); !host.empty()) result["manifest"]["host"] = host;
  }
  // The knee, the USL and the SLO answer; the SLO search runs more points,
  // so it can fail or be interrupted: the finished points stay in the log.
  try {
    if (capacity.slo) with_runs(result, table);  // the SLO search starts from the points' runs
    if (!shard) add_capacity_answers(result, pool_point_runner(raw, ctx, fits), capacity);
  } catch (const ExperimentStopped& e) {
    end_progress(err);
    err << "forksim sweep: " << e.what() << " (in the SLO search); the " << logged_points()
        << " finished or failed points are in " << log.path() << "; " << printable(path, 200)
        << " was not written\n";
    return e.status;
  } catch (const ScenarioError& e) {  // an unknown --knee-metric or --slo metric
    err << "forksim: " << e.what() << "; the " << logged_points() << " finished or failed points are in "
        << log.path() << "; " << printable(path, 200) << " was not written\n";
    return 2;
  }
  end_progress(err);
  const std::vector<std::size_t> slots = table.in_order();
  output.write([&](const TextSink& sink) { write_result(result, table.store, slots, sink); }, out);
  if (csv) csv->write(sweep_csv(result), out);
  const bool complete = result["complete"].get<bool>();
  // Kept until every point has finished: the same command resumes from it.
  if (complete) log.remove();
  if (!vm.count("quiet")) {
    print_sweep_summary(out, result);
    if (shard)
      out << "shard " << shard->index << "/" << shard->count << ": points "
          << (plan.indices.empty() ? std::string("none") : result["shard"]["points"].dump())
          << "; forksim merge OUT.json SHARD... combines the " << shard->count << " shards\n";
  }
  const std::string kept = "; " + printable(log_path, 200) +
                           " is kept: the same command runs the missing points, with --retry-failed "
                           "the failed ones too";
  if (o.status == 3) {
    err << "forksim sweep: stopped early: " << o.message << "; the result has the points finished "
        << "before it and is marked incomplete" << kept << "\n";
    return 3;
  }
  if (int sig = interrupt_signal()) return 128 + sig;
  const std::size_t nfailed = result["failed_points"].size();
  if (nfailed > 0) {
    const std::string counted = std::to_string(nfailed) + " of " + std::to_string(plan.points.size());
    err << "forksim sweep: "
        << (nfailed == plan.points.size() ? "every point failed (" + counted + ")" : counted + " points failed")
        << failed_list(result) << "\nthe result is marked incomplete" << kept << "\n";
    bool all_internal = nfailed == plan.points.size();
    for (const json& p : result.at("points"))
      all_internal = all_internal && p.contains("failed") && p.at("failed").value("status", 0) == 1;
    return all_internal ? 1 : 3;
  }
  return 0;
}

}  // namespace forksim
