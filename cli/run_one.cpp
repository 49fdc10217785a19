#include "cli/run_one.hpp"

#include <unistd.h>

#include <chrono>

#include "analysis/report.hpp"
#include "cli/auto_warmup.hpp"
#include "cli/manifest.hpp"
#include "cli/memory_limits.hpp"
#include "cli/options.hpp"
#include "cli/report_budget.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/suggest.hpp"
#include "scenarios/workload.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {

RunBudgets run_budgets(const po::variables_map& vm, int jobs) {
  RunBudgets b;
  b.step_by_step = vm.count("step-by-step") > 0;
  MonitorOptions& mon = b.monitor;
  mon.max_wall_s = budget_value(vm, "max-wall-s", 0);
  const MemoryLimits limits = memory_limits();
  mon.max_memory_mb = budget_value(vm, "max-memory-mb", default_memory_budget_mb(limits)) / jobs;
  if (!vm.count("max-memory-mb"))
    mon.memory_budget_from = "80% of " + limits.smallest_name() + "; --max-memory-mb sets it";
  if (jobs > 1) mon.memory_budget_from += ", divided among " + std::to_string(jobs) + " jobs";
  mon.max_virtual_mb = default_virtual_budget_mb(limits);
  std::string progress = vm["progress"].as<std::string>();
  if (progress != "on" && progress != "off" && progress != "auto")
    throw Usage("--progress must be on, off or auto, got '" + printable(progress) + "'" +
                did_you_mean(progress, {"on", "off", "auto"}));
  mon.progress = progress == "on" || (progress == "auto" && !vm.count("quiet") && isatty(2));
  return b;
}

RunBudgets checked_budgets(const po::variables_map& vm, int jobs,
                           const std::vector<std::string>& command_line, const Scenario& s) {
  RunBudgets b = run_budgets(vm, jobs);
  b.command_line = command_line;
  check_report_fits(s, b.monitor.max_memory_mb);
  return b;
}

std::optional<OutputFile> output_option(const po::variables_map& vm) {
  std::optional<OutputFile> output;
  if (vm.count("output")) output.emplace(vm["output"].as<std::string>());
  return output;
}

json run_one(const Scenario& asked, const RunBudgets& b, std::ostream& err,
             const TraceRequest* trace) {
  Scenario s = asked;
  RunOptions opt;
  opt.step_by_step = b.step_by_step;
  RunMonitor monitor(b.monitor, err);
  opt.monitor = [&monitor](const RunStatus& st) { return monitor(st); };
  auto t0 = std::chrono::steady_clock::now();
  auto wall_s = [t0] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const json scenario = s.to_json();  // as asked: "auto" stays "auto"
  const json manifest = make_manifest(scenario, {s.seed}, b.command_line);
  // warmup_s "auto": a pilot in a child process chooses the cut first.
  WarmupChoice warmup = choose_warmup(s, opt);
  if (warmup.stopped_pilot) {
    monitor.finish();
    json r = *warmup.stopped_pilot;
    r["incomplete_reason"] = r.value("incomplete_reason", std::string()) + " (in the warm-up pilot)";
    r["wall_time_s"] = wall_s();
    r["manifest"] = manifest;
    return r;
  }
  // After the pilot: the default window follows the warm-up it chose.
  std::optional<Trace> recorder;
  if (trace) opt.trace = &recorder.emplace(trace_options(*trace, s));
  Probes p = run_scenario(s, opt);
  monitor.finish();
  if (recorder)
    write_trace(*trace, *recorder, p, {s.seed, s.warmup_s, s.duration_s, p.complete}, err);
  RunInfo info;
  info.scenario = scenario;
  info.seed = s.seed;
  info.sim_time_s = p.sim_time_s;
  info.wall_time_s = wall_s();
  info.manifest = manifest;
  info.warmup = warmup.warmup;
  return make_report(info, p);
}

}  // namespace forksim
