#include "cli/replay_experiment.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "analysis/stats.hpp"
#include "cli/experiment_setup.hpp"
#include "cli/interrupt.hpp"
#include "cli/run_one.hpp"
#include "driver/replicate.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

[[noreturn]] void bad(const std::string& why) { throw ScenarioError("--replay", why); }

json read_result(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    bad(printable(path, 200) + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad(printable(path, 200) + ": not JSON");
  if (!j.is_object()) bad(printable(path, 200) + ": not a forksim result (not an object)");
  return j;
}

// A point's runs, checked against the seeds its replications list.
void take_runs(const json& holder, const std::string& where, std::vector<StoredRun>& out) {
  if (!holder.contains("runs") || !holder["runs"].is_array()) bad(where + ": no \"runs\" array");
  const json& runs = holder["runs"];
  const json* seeds = nullptr;
  if (holder.contains("replications") && holder["replications"].contains("seeds"))
    seeds = &holder["replications"]["seeds"];
  if (seeds && (!seeds->is_array() || seeds->size() != runs.size()))
    bad(where + ": \"replications.seeds\" does not list one seed per run");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json& r = runs[i];
    std::string label = where + (where.empty() ? "" : ", ") + "replication " + std::to_string(i);
    if (!r.is_object() || !r.contains("scenario") || !r["scenario"].is_object() || !r.contains("seed"))
      bad(label + ": not a run report (no scenario or seed)");
    if (seeds && (*seeds)[i] != r["seed"]) bad(label + ": its seed is not the one replications.seeds gives");
    out.push_back({label, r});
  }
}

}  // namespace

std::vector<StoredRun> stored_runs(const json& result) {
  std::vector<StoredRun> runs;
  const std::string kind = result.value("kind", "");
  if (kind == "replicated") {
    take_runs(result, "", runs);
  } else if (kind == "sweep") {
    if (!result.contains("points") || !result["points"].is_array()) bad("the sweep has no \"points\" array");
    for (const json& p : result["points"]) {
      if (!p.is_object()) bad("a sweep point is not an object");
      std::string sets;
      for (const json& s : p.value("sets", json::array()))
        sets += (sets.empty() ? "" : ", ") + (s.is_string() ? printable(s.get<std::string>(), 80) : s.dump());
      take_runs(p, "point " + p.value("index", json(-1)).dump() + " (" + sets + ")", runs);
    }
  } else if (kind.empty() && result.contains("scenario") && result.contains("seed")) {
    runs.push_back({"the run", result});
  } else {
    bad("not a forksim result: \"kind\" is neither \"replicated\" nor \"sweep\", and it is no run report");
  }
  if (runs.empty()) bad("the result holds no runs");
  return runs;
}

int replay_result(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
  const std::string path = vm["replay"].as<std::string>();
  std::vector<StoredRun> runs = stored_runs(read_result(path));
  std::vector<PointSpec> specs;
  for (const StoredRun& r : runs) {
    try {
      Scenario s = parse_scenario(r.report["scenario"]);
      specs.push_back({r.report["scenario"], r.label, {s.seed}, 1});
    } catch (const ScenarioError& e) {
      bad(r.label + ": " + e.what());
    }
  }
  const int jobs = jobs_option(vm, specs.size());
  RunBudgets budgets = run_budgets(vm, jobs);
  InterruptGuard interrupts;
  ExperimentContext ctx = experiment_context(budgets, jobs, budgets.monitor.progress, err);
  Outcome o = run_points(specs, StopRule{}, ctx);
  end_progress(err);
  if (o.status != 0) {
    err << "forksim run --replay: " << o.message << "\n";
    return o.status;
  }
  constexpr std::size_t kShown = 10;
  std::vector<std::string> diffs;
  std::size_t differing = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto a = numeric_metrics(runs[i].report), b = numeric_metrics(o.points[i].runs.at(0));
    bool same = true;
    auto note = [&](const std::string& key, const std::string& was, const std::string& now) {
      same = false;
      if (diffs.size() < kShown) diffs.push_back(runs[i].label + ": " + key + ": " + was + " in the file, " + now + " now");
    };
    for (const auto& [k, v] : a) {
      auto it = b.find(k);
      if (it == b.end()) note(k, json(v).dump(), "absent");
      else if (it->second != v) note(k, json(v).dump(), json(it->second).dump());
    }
    for (const auto& [k, v] : b)
      if (!a.count(k)) note(k, "absent", json(v).dump());
    differing += !same;
  }
  if (differing == 0) {
    out << "replay: " << runs.size() << " run(s) rerun from " << printable(path, 200)
        << "; every numeric metric matches exactly\n";
    return 0;
  }
  out << "replay: " << differing << " of " << runs.size() << " run(s) differ from "
      << printable(path, 200) << "; the first differences:\n";
  for (const std::string& d : diffs) out << "  " << d << "\n";
  return 1;
}

}  // namespace forksim
