#include "cli/replay_experiment.hpp"

#include "analysis/replay_check.hpp"
#include "cli/experiment_setup.hpp"
#include "cli/interrupt.hpp"
#include "cli/result_file.hpp"
#include "cli/run_one.hpp"
#include "driver/replicate.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

// A point's runs, checked against the seeds its replications list.
void take_runs(const json& holder, const std::string& where, const std::string& file,
               std::vector<StoredRun>& out) {
  auto bad = [&file](const std::string& why) { throw ResultFileError(file + ": " + why); };
  if (!holder.contains("runs") || !holder["runs"].is_array())
    bad((where.empty() ? std::string() : where + ": ") + "no \"runs\" array");
  const json& runs = holder["runs"];
  const json* seeds = nullptr;
  if (holder.contains("replications") && holder["replications"].is_object() &&
      holder["replications"].contains("seeds"))
    seeds = &holder["replications"]["seeds"];
  if (seeds && (!seeds->is_array() || seeds->size() != runs.size()))
    bad((where.empty() ? std::string() : where + ": ") +
        "\"replications.seeds\" does not list one seed per run");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json& r = runs[i];
    std::string label = where + (where.empty() ? "" : ", ") + "replication " + std::to_string(i);
    if (!r.is_object() || !r.contains("scenario") || !r["scenario"].is_object() || !r.contains("seed"))
      bad(label + ": not a run report (no scenario or seed)");
    if (r.value("complete", true) == false) bad(label + ": the run was stopped early: only a complete run replays");
    if (seeds && (*seeds)[i] != r["seed"]) bad(label + ": its seed is not the one replications.seeds gives");
    out.push_back({label, r});
  }
}

}  // namespace

std::vector<StoredRun> stored_runs(const json& result, const std::string& file) {
  std::vector<StoredRun> runs;
  if (result.value("kind", "") == "sweep") {
    if (!result.contains("points") || !result["points"].is_array())
      throw ResultFileError(file + ": the sweep has no \"points\" array");
    for (const json& p : result["points"]) {
      if (!p.is_object()) throw ResultFileError(file + ": a sweep point is not an object");
      std::string sets;
      for (const json& s : p.value("sets", json::array()))
        sets += (sets.empty() ? "" : ", ") + (s.is_string() ? printable(s.get<std::string>(), 80) : s.dump());
      take_runs(p, "point " + p.value("index", json(-1)).dump() + " (" + sets + ")", file, runs);
    }
  } else {
    take_runs(result, "", file, runs);
  }
  if (runs.empty()) throw ResultFileError(file + ": the result holds no runs");
  return runs;
}

int replay_experiment(const po::variables_map& vm, const json& result, const std::string& file,
                      const std::vector<std::string>& command_line, std::ostream& out, std::ostream& err) {
  std::vector<StoredRun> runs = stored_runs(result, file);
  std::vector<PointSpec> specs;
  for (const StoredRun& r : runs) {
    try {
      Scenario s = parse_scenario(r.report["scenario"]);
      specs.push_back({r.report["scenario"], r.label, {s.seed}, 1});
    } catch (const ScenarioError& e) {
      throw ResultFileError(file + ": " + r.label + ": its scenario is not valid here: " + e.what());
    }
  }
  const int jobs = jobs_option(vm, specs.size());
  RunBudgets budgets = run_budgets(vm, jobs);
  budgets.command_line = command_line;
  InterruptGuard interrupts;
  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  Outcome o = run_points(specs, StopRule{}, ctx);
  end_progress(err);
  if (o.status != 0) {
    err << "forksim run --replay: " << o.message << "; nothing compared\n";
    return o.status;
  }
  constexpr std::size_t kShown = 20;
  std::vector<std::string> shown;
  std::size_t differing = 0, compared = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::size_t n = 0;
    auto diffs = metric_differences(runs[i].report, o.points[i].runs.at(0), &n);
    compared += n;
    differing += !diffs.empty();
    auto text = [](const std::optional<double>& v) { return v ? json(*v).dump() : std::string("(absent)"); };
    for (const MetricDifference& d : diffs)
      if (shown.size() < kShown)
        shown.push_back(runs[i].label + ": " + d.name + ": recorded " + text(d.recorded) + ", replayed " +
                        text(d.replayed));
  }
  if (differing == 0) {
    out << "replay: " << runs.size() << " runs rerun, " << compared << " metrics match\n";
    return 0;
  }
  out << "replay: " << differing << " of " << runs.size() << " runs differ; the first differences:\n";
  for (const std::string& d : shown) out << "  " << d << "\n";
  return 1;
}

}  // namespace forksim
