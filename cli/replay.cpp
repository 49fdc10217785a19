#include "cli/replay.hpp"

#include <cstdio>

#include "analysis/compare.hpp"
#include "analysis/replay_check.hpp"
#include "analysis/report.hpp"
#include "analysis/scenario_hash.hpp"
#include "cli/result_file.hpp"
#include "scenarios/json_text.hpp"

namespace forksim {
namespace {

using nlohmann::json;

constexpr int kReplayMatch = 0, kReplayDiffer = 1, kReplayStopped = 3;
constexpr std::size_t kShown = 20;

std::string exact(const std::optional<double>& v) {
  if (!v) return "(absent)";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return buf;
}

// What may explain a difference: another build made the result, or this
// build resolves its scenario differently (a new key's default).
void provenance_notes(const json& result, const Scenario& s, const std::string& file,
                      std::ostream& err) {
  const json resolved = s.to_json();
  if (resolved != result["scenario"])
    err << "forksim: note: " << file << "'s scenario resolves differently in this version "
        << "(scenario_hash " << scenario_hash(result["scenario"]) << " as recorded, "
        << scenario_hash(resolved) << " now)\n";
  if (!result.contains("manifest") || !result["manifest"].is_object()) return;
  const json& m = result["manifest"];
  if (m.contains("scenario_hash") && m["scenario_hash"] != scenario_hash(result["scenario"]))
    err << "forksim: note: " << file << "'s scenario does not hash to its manifest's "
        << "scenario_hash: it was changed after the run\n";
  // The step-by-step engine gives the same answer bar its count of events.
  if (m.contains("command_line") && m["command_line"].is_array())
    for (const json& arg : m["command_line"])
      if (arg == "--step-by-step")
        err << "forksim: note: " << file << " was made with --step-by-step, which counts more "
            << "engine events: replay it with --step-by-step too\n";
  if (m.contains("forksim_version") && m["forksim_version"] != kForksimVersion)
    err << "forksim: note: " << file << " was made by forksim "
        << printable(m["forksim_version"].dump()) << ", this is " << kForksimVersion << "\n";
}

int replay_run(const json& report, const std::string& file, const RunHere& run, std::ostream& out,
               std::ostream& err) {
  if (report.contains("complete") && report["complete"] == false)
    throw ResultFileError(file + ": the run was stopped early (" +
                          printable(report.value("incomplete_reason", std::string("no reason")), 200) +
                          "): only a complete run replays");
  Scenario s;
  try {
    s = parse_scenario(report["scenario"]);
  } catch (const ScenarioError& e) {
    throw ResultFileError(file + ": its \"scenario\" is not valid here: " + e.what());
  }
  if (s.seed != report["seed"].get<uint64_t>())
    throw ResultFileError(file + ": \"seed\" " + report["seed"].dump() +
                          " is not its scenario's seed " + std::to_string(s.seed));
  provenance_notes(report, s, file, err);
  const json replayed = run(s);
  if (replayed.contains("complete") && replayed["complete"] == false) {
    err << "forksim: replay stopped early: "
        << replayed.value("incomplete_reason", std::string()) << "; nothing compared\n";
    return kReplayStopped;
  }
  std::size_t compared = 0;
  const auto diffs = metric_differences(report, replayed, &compared);
  if (diffs.empty()) {
    out << "replay: " << compared << " metrics match\n";
    return kReplayMatch;
  }
  out << "replay: " << diffs.size() << " of " << compared << " metrics differ";
  out << (diffs.size() > kShown ? " (the first " + std::to_string(kShown) + ")" : "") << ":\n";
  for (std::size_t i = 0; i < diffs.size() && i < kShown; ++i)
    out << "  " << diffs[i].name << ": recorded " << exact(diffs[i].recorded) << ", replayed "
        << exact(diffs[i].replayed) << "\n";
  return kReplayDiffer;
}

}  // namespace

int replay_result(const json& result, const std::string& file, const RunHere& run,
                  std::ostream& out, std::ostream& err) {
  std::string kind;
  try {
    kind = result_kind(result);
  } catch (const CompareError& e) {
    throw ResultFileError(file + ": " + e.what());
  }
  if (kind == "run") return replay_run(result, file, run, out, err);
  // Replicated runs and sweeps rerun their replications through the
  // driver, each in its own process: cmd_run sends them to
  // replay_experiment (cli/replay_experiment.hpp), never here.
  throw ResultFileError(file + ": a result of kind \"" + kind +
                        "\" replays through the driver, not as a single run");
}

}  // namespace forksim
