#include "cli/cli.hpp"
#include "cli/exit_status.hpp"

#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <unistd.h>

#include "analysis/compare.hpp"
#include "cli/lockstat_options.hpp"
#include "cli/merge_command.hpp"
#include "analysis/report.hpp"
#include "cli/calibrate_command.hpp"
#include "cli/compare_text.hpp"
#include "cli/auto_warmup.hpp"
#include "cli/interrupt.hpp"
#include "cli/output_file.hpp"
#include "cli/replay.hpp"
#include "cli/result_file.hpp"
#include "models/costs.hpp"
#include "models/steps.hpp"
#include "models/variants.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/library.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"
#include "scenarios/workload.hpp"
#include "cli/monitor.hpp"
#include "cli/options.hpp"
#include "cli/replay_experiment.hpp"
#include "cli/replicated_run.hpp"
#include "cli/report_command.hpp"
#include "cli/report_budget.hpp"
#include "cli/sensitivity_command.hpp"
#include "cli/run_one.hpp"
#include "cli/sweep_command.hpp"
#include "driver/experiment.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

// compare --fail-if found a real regression (a check's failure, as a test
// runner's).
constexpr int kBreached = 1;

const char* kUsage =
    "usage: forksim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [SCENARIO]        simulate a scenario (the built-in default without one);\n"
    "                        --replications R for confidence intervals;\n"
    "                        run --replay RESULT.json reruns a result and checks its figures\n"
    "  sweep SCENARIO --vary KEY=LIST -o FILE\n"
    "                        run every point of a parameter sweep, replicated\n"
    "                        (--shard I/N: one of N slices, for a batch job array)\n"
    "                        (--mpi: under mpirun, the runs spread over its ranks)\n"
    "  merge OUT.json SHARD...\n"
    "                        the shards of a sweep combined into its whole result\n"
    "  validate [SCENARIO]   check a scenario (the built-in default without one)\n"
    "                        and print it resolved\n"
    "  explain [PATH]        the steps of a fork path: seed lines, locks, costs\n"
    "  list                  the scenario library: each name and its question\n"
    "  compare A.json B.json the difference of each figure, B - A, with its interval\n"
    "                        and whether it is significant\n"
    "  sensitivity SCENARIO  how much a metric moves with each step cost (--metric M)\n"
    "  report RESULT.json -o REPORT.html\n"
    "                        a self-contained HTML page with charts of a result\n"
    "  calibrate -o HOST.json [--quick] | --check HOST.json\n"
    "                        measure this host's fork costs into a scenario fragment;\n"
    "                        --check: how well they predict cases not fitted\n"
    "\n"
    "SCENARIO is a JSON file, or the name of a library scenario when no file of\n"
    "that name exists.\n"
    "\n"
    "`forksim <command> --help` for the command's options.\n";

// --replay: the result's own scenario and seeds, nothing else that would
// change the figures. A single run reruns here (cli/replay.hpp); a
// replicated run's or a sweep's runs through the driver, each in its own
// process (cli/replay_experiment.hpp).
int replay(const po::variables_map& vm, const std::vector<Edit>& edits,
           const std::vector<std::string>& command_line, std::ostream& out, std::ostream& err) {
  for (const char* o : {"scenario", "seed", "output", "replications", "precision", "lockstat",
                        "lockstat-hold", "lockstat-top", "trace", "trace-window", "trace-max-events"})
    if (vm.count(o))
      throw Usage(std::string("--replay reruns the result's own scenario and seeds; it takes no ") +
                  (std::string(o) == "scenario" ? "SCENARIO" : std::string("--") + o));
  if (!edits.empty())
    throw Usage("--replay reruns the result's own scenario and seeds; it takes no --set or --unset");
  const std::string file = vm["replay"].as<std::string>();
  const json result = read_result_file(file);
  const std::string kind = result.is_object() ? result.value("kind", "") : "";
  if (kind == "replicated" || kind == "sweep")
    return replay_experiment(vm, result, printable(file, 200), command_line, out, err);
  RunBudgets budgets = run_budgets(vm);
  budgets.command_line = command_line;
  InterruptGuard interrupts;
  int status = replay_result(
      result, printable(file, 200),
      [&](const Scenario& s) {
        check_report_fits(s, budgets.monitor.max_memory_mb);
        return run_one(s, budgets, err);
      },
      out, err);
  if (int sig = interrupt_signal()) return kSignalBase + sig;
  return status;
}

int cmd_run(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
            std::ostream& out, std::ostream& err) {
  po::options_description d("forksim run [SCENARIO] [options]");
  d.add_options()
      ("scenario", po::value<std::string>(), kScenarioHelp)
      ("seed", po::value<std::string>(), "random seed (overrides the scenario's; as --set seed=N)")
      ("output,o", po::value<std::string>(),
       "write the JSON report here (\"-\": stdout, the summary then on stderr)")
      ("quiet,q", "print no summary");
  add_lockstat_options(d, "after the summary (on stderr with -o -, as the summary), the run's lock "
                          "contention as illumos lockstat(8) prints it: spin and block events per lock "
                          "and caller (the model's step); printed with --quiet too");
  d.add_options()
      ("step-by-step", "one engine event per charged step: slower, same answer "
       "(for checking the engine's shortcuts)")
      ("max-wall-s", po::value<std::string>()->default_value("0"),
       "stop (exit 3, report marked incomplete) past this wall time; 0: no limit")
      ("max-memory-mb", po::value<std::string>(),
       "stop (exit 3, report marked incomplete) past this resident memory "
       "(default: 80% of the smallest of physical memory, the memory cgroup's "
       "limit and RLIMIT_AS; with --jobs N each run gets 1/N of it); 0: no limit")
      ("progress", po::value<std::string>()->default_value("auto"),
       "progress on stderr for runs longer than 2 s: on, off, or auto (when "
       "stderr is a terminal and not --quiet)")
      ("replay", po::value<std::string>(),
       "rerun a result (a report, a replicated run or a sweep) from its own scenarios and "
       "seeds; exit 0 when every numeric metric matches exactly, 1 when one differs")
      ("trace", po::value<std::string>(),
       "write the run's timeline here as Chrome trace-event JSON (ui.perfetto.dev, "
       "chrome://tracing): CPU bursts, lock waits and holds, sleeps, fork calls")
      ("trace-window", po::value<std::string>(),
       "START:END, seconds of simulated time the trace covers (default: 10 ms from the warm-up's end)")
      ("trace-max-events", po::value<std::string>(),
       "at most this many trace events; the trace is cut there, and says so (default 200000)");
  add_replication_options(d, "run R replications, replication i with seed + i, each in its own "
                             "process; the result has every metric's mean and 95% t interval");
  add_costs_fragment_option(d);
  add_scenario_options(d);
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "scenario", out, vm, edits)) return kOk;
  if (vm.count("replay")) return replay(vm, edits, command_line, out, err);
  const std::optional<LockstatOptions> lockstat = lockstat_option(vm);
  json raw = load_raw(vm, edits, true);
  // Through the scenario's own checks, so that --seed -1 fails as
  // --set seed=-1 does.
  if (vm.count("seed")) apply_override(raw, "seed=" + vm["seed"].as<std::string>());
  Scenario s = parse_scenario(raw);
  if (replications_asked(vm)) {
    if (lockstat) throw Usage("--lockstat prints a single run's locks; it takes no --replications");
    for (const char* o : {"trace", "trace-window", "trace-max-events"})
      if (vm.count(o))
        throw Usage(std::string("--") + o + ": a trace records one run; it takes no --replications or --precision");
    return run_replicated(vm, raw, s, command_line, out, err);
  }
  RunBudgets budgets = checked_budgets(vm, 1, command_line, s);
  // From here a signal stops the run cleanly; the check of -o below makes
  // a temporary, which a second signal removes.
  InterruptGuard interrupts;
  std::optional<OutputFile> output = output_option(vm);
  std::optional<TraceRequest> trace = trace_request(vm, s);
  std::ostream& summary = output && output->is_stdout() ? err : out;

  json report = run_one(s, budgets, err, trace ? &*trace : nullptr);
  const bool complete = report["complete"].get<bool>();
  if (output) output->write(report.dump(2) + "\n", out);
  if (!vm.count("quiet")) print_summary(summary, report);
  if (lockstat) summary << lockstat_text(report, *lockstat);
  if (!complete)
    err << "forksim: stopped early: " << report["incomplete_reason"].get<std::string>()
        << "; the report is marked incomplete\n";
  // Also when the signal came after the last check: the run finished, its
  // report is complete, and the caller still learns it was interrupted.
  if (int sig = interrupt_signal()) return kSignalBase + sig;
  return complete ? kOk : kStopped;
}

int cmd_validate(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description d("forksim validate [SCENARIO] [options]");
  d.add_options()("scenario", po::value<std::string>(), kScenarioHelp);
  add_costs_fragment_option(d);
  add_scenario_options(d);
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "scenario", out, vm, edits)) return kOk;
  Scenario s = parse_scenario(load_raw(vm, edits, true));
  out << s.to_json().dump(2) << "\n";
  return kOk;
}

std::vector<std::string> split_locks(const std::string& s) {
  std::vector<std::string> v;
  if (s == "-") return v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(' ');
    v.push_back(item.substr(b));
  }
  return v;
}

json step_json(const StepInfo& st, const PathName& path, const CostTable& costs,
               const KernelVariant& k) {
  const Dist& d = costs.dist(st.id);
  json j = {{"name", st.name},     {"path", path.name},  {"lines", step_lines(st, k)},
            {"locks", split_locks(st.locks)}, {"releases", split_locks(*st.releases ? st.releases : "-")},
            {"cost_ns", d.mean()}, {"per", st.unit}, {"basis", st.basis}};
  if (d.kind != Dist::Kind::Fixed) j["cost_dist"] = d.describe();
  return j;
}

void explain_text(std::ostream& out, const PathName& path, const CostTable& costs,
                  const KernelVariant& k) {
  std::vector<const StepInfo*> rows;
  auto locks = [](const StepInfo& st) {
    std::string s = st.locks;
    if (*st.releases) s = (s == "-" ? "" : s + "; ") + "releases " + st.releases;
    return s;
  };
  size_t wn = 4, wl = 10, wk = 5, wc = 7;
  for (const auto& st : step_catalogue()) {
    if (!(st.paths & path.bit)) continue;
    rows.push_back(&st);
    wn = std::max(wn, std::string(st.name).size());
    wl = std::max(wl, step_lines(st, k).size());
    wk = std::max(wk, locks(st).size());
    wc = std::max(wc, costs.dist(st.id).describe().size());
  }
  auto cell = [&out](const std::string& s, size_t w) { out << std::left << std::setw(w + 2) << s; };
  out << path.name << ": " << path.what << "\n  ";
  cell("step", wn);
  cell("seed lines", wl);
  cell("locks", wk);
  out << std::right << std::setw(wc) << "cost ns" << "  per\n";
  for (const StepInfo* st : rows) {
    out << "  ";
    cell(st->name, wn);
    cell(step_lines(*st, k), wl);
    cell(locks(*st), wk);
    out << std::right << std::setw(wc) << costs.dist(st->id).describe() << "  " << st->unit << "\n";
  }
}

int cmd_explain(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description d("forksim explain [PATH] [options]");
  std::vector<std::string> names;
  std::string list;
  for (const auto& p : path_names()) names.push_back(p.name), list += std::string(" ") + p.name;
  std::string paths_help = "path to show (all without one):" + list;
  d.add_options()
      ("path", po::value<std::string>(), paths_help.c_str())
      ("json", "print a JSON array of steps")
      ("scenario", po::value<std::string>(),
       "show the costs this scenario sets (a file or a library name)");
  add_scenario_options(d);
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "path", out, vm, edits,
             "\nEvery default cost is an estimate; `basis` in --json says where it comes from.\n"))
    return kOk;
  Scenario s = parse_scenario(load_raw(vm, edits));
  CostTable costs(s.costs, s.seed);
  std::vector<const PathName*> shown;
  if (vm.count("path")) {
    const std::string& name = vm["path"].as<std::string>();
    const PathName* p = find_path(name);
    if (!p) {
      throw Usage("unknown path '" + printable(name) + "'; the paths are:" + list +
                  did_you_mean(name, names));
    }
    shown.push_back(p);
  } else {
    for (const auto& p : path_names()) shown.push_back(&p);
  }
  if (vm.count("json")) {
    json a = json::array();
    for (const PathName* p : shown)
      for (const auto& st : step_catalogue())
        if (st.paths & p->bit) a.push_back(step_json(st, *p, costs, s.kernel));
    out << a.dump(2) << "\n";
    return kOk;
  }
  for (size_t i = 0; i < shown.size(); ++i) {
    if (i) out << "\n";
    explain_text(out, *shown[i], costs, s.kernel);
  }
  out << "\nCosts are nanoseconds at cpu_speed 1.0; each default's basis (a measurement, "
         "a share or remainder of one, or a guess) is in `forksim explain --json`.\n";
  return kOk;
}

// One line a scenario: its name and the question its description states.
int cmd_list(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description d("forksim list [options]");
  d.add_options()("json", "print a JSON array of {name, description}")("help,h", "this help");
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "json", out, vm, edits)) return kOk;
  if (!edits.empty()) throw Usage("takes no --set or --unset");
  json a = json::array();
  std::size_t w = 4;
  for (const LibraryEntry& e : library_entries()) {
    Scenario s = parse_scenario(parse_scenario_text(e.text, std::string("library scenario ") + e.name));
    a.push_back({{"name", e.name}, {"description", s.description}});
    w = std::max(w, std::string(e.name).size());
  }
  if (vm.count("json")) {
    out << a.dump(2) << "\n";
    return kOk;
  }
  for (const json& e : a)
    out << std::left << std::setw(static_cast<int>(w + 2)) << e["name"].get<std::string>()
        << e["description"].get<std::string>() << "\n";
  return kOk;
}

// B against A (analysis/compare.hpp); --fail-if rules make it a check.
int cmd_compare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description d("forksim compare A.json B.json [options]");
  d.add_options()
      ("files", po::value<std::vector<std::string>>(),
       "the two results: run reports, replicated runs or sweeps")
      ("fail-if", po::value<std::vector<std::string>>(),
       "exit 1 if a difference B - A is significant and beyond this threshold: "
       "\"throughput.forks_per_s<-2%\" (relative to A with %, absolute without; repeatable)")
      ("json", "print the comparison as JSON")
      ("all", "show every metric, not only the main figures")
      ("help,h", "this help");
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "files", out, vm, edits,
             "\nDifferences are B - A, paired t intervals when A and B ran the same seeds, "
             "Welch's otherwise, at 95%.\n", 2))
    return kOk;
  if (!edits.empty()) throw Usage("takes no --set or --unset");
  const auto files = vm.count("files") ? vm["files"].as<std::vector<std::string>>()
                                       : std::vector<std::string>{};
  if (files.size() != 2) throw Usage("needs two results, A and B: forksim compare A.json B.json");
  std::vector<FailIf> rules;
  if (vm.count("fail-if"))
    for (const std::string& text : vm["fail-if"].as<std::vector<std::string>>())
      rules.push_back(parse_fail_if(text));
  json sides[2];
  for (int i = 0; i < 2; ++i) {
    sides[i] = read_result_file(files[i]);
    try {
      result_kind(sides[i]);
    } catch (const CompareError& e) {
      throw Usage(printable(files[i], 200) + ": " + e.what());
    }
  }
  json c = compare_results(sides[0], sides[1]);
  c["a"]["file"] = printable(files[0], 1000);
  c["b"]["file"] = printable(files[1], 1000);
  const std::vector<std::string> names = comparison_metric_names(c);
  std::vector<std::string> breaches;
  json checks = json::array();
  for (const FailIf& rule : rules) {
    if (!std::binary_search(names.begin(), names.end(), rule.metric))
      throw Usage("--fail-if \"" + printable(rule.text, 200) + "\": unknown metric \"" +
                  printable(rule.metric, 200) + "\", in neither result" +
                  did_you_mean(rule.metric, names));
    auto found = fail_if_breaches(c, rule);
    checks.push_back({{"rule", rule.text}, {"breached", !found.empty()}, {"breaches", found}});
    breaches.insert(breaches.end(), found.begin(), found.end());
  }
  if (!rules.empty()) c["fail_if"] = checks;
  if (vm.count("json"))
    out << c.dump(2) << "\n";
  else
    print_comparison(out, c, vm.count("all") > 0, files[0], files[1]);
  for (const std::string& b : breaches) err << "forksim compare: --fail-if breached: " << b << "\n";
  return breaches.empty() ? kOk : kBreached;
}

}  // namespace

int cli_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kBadInput : kOk;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  // What every result's manifest records of how it was asked for.
  std::vector<std::string> command_line = {"forksim"};
  command_line.insert(command_line.end(), args.begin(), args.end());
  try {
    if (args[0] == "run") return cmd_run(rest, command_line, out, err);
    if (args[0] == "sweep") return cmd_sweep(rest, command_line, out, err);
    if (args[0] == "merge") return cmd_merge(rest, command_line, out, err);
    if (args[0] == "compare") return cmd_compare(rest, out, err);
    if (args[0] == "validate") return cmd_validate(rest, out);
    if (args[0] == "explain") return cmd_explain(rest, out);
    if (args[0] == "list") return cmd_list(rest, out);
    if (args[0] == "sensitivity") return cmd_sensitivity(rest, command_line, out, err);
    if (args[0] == "report") return cmd_report(rest, out);
    if (args[0] == "calibrate") return cmd_calibrate(rest, command_line, out, err);
    err << "forksim: unknown command '" << printable(args[0]) << "'"
        << did_you_mean(args[0], {"run", "sweep", "merge", "validate", "explain", "list", "compare", "sensitivity", "report", "calibrate"}) << "\n" << kUsage;
    return kBadInput;
  } catch (const ScenarioError& e) {
    err << "forksim: " << e.what() << "\n";
    return kBadInput;
  } catch (const ExperimentStopped& e) {
    err << "forksim " << args[0] << ": " << e.what() << "\n";
    return e.status;
  } catch (const OutputError& e) {
    err << "forksim " << args[0] << ": " << e.what() << "\n";
    return kBadInput;
  } catch (const ResultFileError& e) {
    err << "forksim " << args[0] << ": " << e.what() << "\n";
    return kBadInput;
  } catch (const CompareError& e) {
    err << "forksim " << args[0] << ": " << e.what() << "\n";
    return kBadInput;
  } catch (const Usage& e) {
    err << "forksim " << args[0] << ": " << e.what() << "\n";
    return kBadInput;
  } catch (const std::bad_alloc&) {
    // The budgets are meant to stop a run before this; one allocation too
    // large for what is left can still get here.
    err << "forksim: out of memory; a lower --max-memory-mb stops the run with a partial "
           "report before this point\n";
    return kInternal;
  } catch (const std::exception& e) {
    err << "forksim: internal error: " << e.what() << "\n";
    return kInternal;
  }
}

}  // namespace forksim
