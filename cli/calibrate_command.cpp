#include "cli/calibrate_command.hpp"
#include "cli/exit_status.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "analysis/report.hpp"
#include "analysis/stats.hpp"
#include "calibrate/host_bench.hpp"
#include "calibrate/host_info.hpp"
#include "cli/calibration_model.hpp"
#include "cli/experiment_setup.hpp"
#include "cli/interrupt.hpp"
#include "cli/manifest.hpp"
#include "cli/options.hpp"
#include "cli/output_file.hpp"
#include "cli/run_one.hpp"
#include "driver/pool_point_runner.hpp"
#include "generated/git_commit.hpp"
#include "scenarios/include.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace forksim {
namespace {

// The goal the issue sets for the held-out cases.
constexpr double kGoal = 0.15;

struct Sizes {
  std::vector<double> fit, held_out;
};
Sizes sizes(bool quick) {
  if (quick) return {{0, 16, 64}, {8, 32}};
  return {{0, 64, 256}, {32, 128}};
}

BenchPlan plan(bool quick) {
  BenchPlan p;
  if (quick) p.passes = 3, p.pass_s = 0.04, p.rate_s = 0.15;
  return p;
}

const BenchKind kLatencies[] = {BenchKind::ForkCall, BenchKind::ForkWait, BenchKind::VforkCall,
                                BenchKind::SpawnCall};

std::vector<BenchCase> fit_cases(bool quick) {
  std::vector<BenchCase> v;
  for (double mb : sizes(quick).fit)
    for (BenchKind k : kLatencies) v.push_back({k, mb, 1, 1});
  v.push_back({BenchKind::ForkRate, 0, 1, 1});
  v.push_back({BenchKind::NprocFail, 0, 1, 1});
  return v;
}

// Other sizes than the fit's, several forking processes, a multi-threaded parent.
std::vector<BenchCase> check_cases(bool quick) {
  std::vector<BenchCase> v;
  for (double mb : sizes(quick).held_out)
    for (BenchKind k : kLatencies) v.push_back({k, mb, 1, 1});
  for (int n : {2, 4, 8}) v.push_back({BenchKind::ForkRate, 0, n, 1});
  v.push_back({BenchKind::ForkRate, 0, 1, 4});
  return v;
}

std::string fmt(double x, int prec = 4) {
  std::ostringstream s;
  s << std::setprecision(prec) << x;
  return s.str();
}

std::string figure_text(const BenchFigure& f) {
  if (!f.skipped.empty()) return "skipped: " + f.skipped;
  return fmt(f.median) + " " + bench_unit(f.c.kind) + " (passes " + fmt(f.lo) + " to " + fmt(f.hi) + ")";
}

std::vector<BenchFigure> measure(const std::vector<BenchCase>& cases, const BenchPlan& p, bool quiet,
                                 std::ostream& err) {
  err << "calibrate: measuring " << cases.size() << " figures, about "
      << fmt(bench_estimate_s(cases, p), 2) << " s\n";
  return run_bench(cases, p, [&](std::size_t i, const BenchFigure& f) {
    if (interrupt_signal()) throw ExperimentStopped(kSignalBase + interrupt_signal(), "interrupted while measuring");
    if (!quiet)
      err << "  [" << i + 1 << "/" << cases.size() << "] " << bench_label(f.c) << ": " << figure_text(f) << "\n";
  });
}

// A runner that says on stderr how far the model's runs are. With
// `expected` (the fit's fewest and most evaluations), the first one's wall
// time also says how long the whole fit will take.
PointRunner counting(PointRunner inner, const char* what, bool quiet, std::ostream& err,
                     std::optional<EvaluationRange> expected = std::nullopt) {
  auto n = std::make_shared<int>(0);
  return [inner, what, quiet, &err, n, expected](const std::vector<PointRequest>& batch) {
    const auto start = std::chrono::steady_clock::now();
    auto result = inner(batch);
    if (quiet) return result;
    err << "  " << what << " " << ++*n << " (" << batch.size() << " runs)";
    if (*n == 1 && expected) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      err << ", " << fmt(s, 2) << " s: the fit takes " << expected->fewest << " to " << expected->most
          << " of them, about " << fmt(s * expected->fewest, 2) << " to " << fmt(s * expected->most, 2)
          << " s (usually nearer the first)";
    }
    err << "\n";
    return result;
  };
}

HostModel host_model(const HostInfo& h) { return {h.ncpus, h.physmem_mb, h.own_anon_mb}; }

json fit_json(const CostFit& fit, const std::vector<BenchFigure>& figures) {
  json params = json::array();
  const auto& groups = fitted_cost_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double se = fit.se[g];
    json costs = json::object(), ses = json::object();
    for (const auto& [step, ns] : group_costs(std::vector<double>(groups.size(), 1.0))) {
      if (std::find(groups[g].steps.begin(), groups[g].steps.end(), step) == groups[g].steps.end()) continue;
      costs[step] = ns * fit.value[g];
      ses[step] = std::isfinite(se) ? json(ns * se) : json(nullptr);
    }
    params.push_back({{"name", groups[g].name},
                      {"steps", groups[g].steps},
                      {"from", groups[g].from},
                      {"factor", fit.value[g]},
                      {"se_factor", std::isfinite(se) ? json(se) : json(nullptr)},
                      {"cost_ns", costs},
                      {"se_ns", ses}});
  }
  json rows = json::array();
  std::size_t i = 0;
  for (const BenchFigure& f : figures)
    if (f.skipped.empty() && fitted_case(f.c)) {
      const double p = fit.predicted[i++];
      rows.push_back({{"figure", bench_label(f.c)}, {"measured", f.median}, {"predicted", p},
                      {"error", p / f.median - 1}});
    }
  return {{"method", "weighted least squares on relative residuals, each cost group's factor fitted as its "
                     "logarithm (GSL gsl_multifit_nlinear, trust region) on the model linearised by forward differences, "
                     "relinearised until the model meets it at the answer; "
                     "standard errors from the covariance scaled by chi^2/(n-p); R^2 weighted by 1/y^2"},
          {"r2", fit.r2},
          {"chi2", fit.chi2},
          {"rounds", fit.rounds},
          {"evaluations", fit.evaluations},
          {"converged", fit.converged},
          {"parameters", params},
          {"figures", rows}};
}

json fragment_json(const HostInfo& h, const BenchPlan& p, bool quick, const std::vector<BenchFigure>& figures,
                   const CostFit& fit) {
  json figs = json::array();
  for (const BenchFigure& f : figures) figs.push_back(bench_figure_json(f));
  json costs(group_costs(fit.value));
  const std::string commit = FORKSIM_GIT_COMMIT;
  json cal = host_info_json(h);
  cal.update({{"forksim_version", kForksimVersion},
              {"git_commit", commit.empty() ? json(nullptr) : json(commit)},
              {"quick", quick},
              {"plan", {{"passes", p.passes}, {"pass_s", p.pass_s}, {"rate_s", p.rate_s},
                        {"spawn_program", p.spawn_program}}},
              {"note", "measured on " + h.system + ": the model's structure stays illumos's, its costs are "
                       "this host's"},
              {"figures", figs},
              {"fit", fit_json(fit, figures)}});
  return {{"machine", {{"ncpus", h.ncpus}, {"physmem_mb", std::round(h.physmem_mb)}}},
          {"costs", costs},
          {"calibration", cal}};
}

void print_fit(std::ostream& out, const json& frag) {
  const json& fit = frag["calibration"]["fit"];
  out << "fitted costs (factor on the default, with its standard error), R^2 " << fmt(fit["r2"].get<double>())
      << (fit["converged"].get<bool>() ? "" : " (not converged: the model still differs from its linearisation)") << ":\n";
  for (const json& p : fit["parameters"]) {
    out << "  " << std::left << std::setw(18) << p["name"].get<std::string>() << " x" << fmt(p["factor"].get<double>());
    if (p["se_factor"].is_number()) out << " +/- " << fmt(p["se_factor"].get<double>(), 2);
    out << "  (" << p["from"].get<std::string>() << ")\n";
    for (const auto& c : p["cost_ns"].items()) {
      out << "      " << std::left << std::setw(18) << c.key() << std::right << std::setw(10)
          << fmt(c.value().get<double>(), 5) << " ns";
      const json& se = p["se_ns"][c.key()];
      if (se.is_number()) out << " +/- " << fmt(se.get<double>(), 3);
      out << "\n";
    }
  }
  out << "figures, measured and fitted:\n";
  for (const json& r : fit["figures"])
    out << "  " << std::left << std::setw(24) << r["figure"].get<std::string>() << std::right << std::setw(11)
        << fmt(r["measured"].get<double>(), 5) << std::setw(11) << fmt(r["predicted"].get<double>(), 5) << "  "
        << std::showpos << fmt(100 * r["error"].get<double>(), 3) << std::noshowpos << "%\n";
}

std::vector<BenchFigure> figures_of(const json& frag, const std::string& file) {
  std::vector<BenchFigure> out;
  const json& cal = frag.contains("calibration") ? frag["calibration"] : json();
  if (!cal.is_object() || !cal.contains("figures"))
    throw ScenarioError("--refit " + printable(file, 1024), "no calibration.figures to fit");
  std::size_t i = 0;
  for (const json& f : cal["figures"]) {
    try {
      out.push_back(bench_figure_from_json(f));
    } catch (const std::invalid_argument& e) {
      throw ScenarioError("calibration.figures[" + std::to_string(i) + "]", e.what());
    }
    ++i;
  }
  return out;
}

HostInfo host_of(const json& cal) {
  HostInfo h;
  h.host = cal.value("host", "");
  h.kernel = cal.value("kernel", "");
  h.system = cal.value("system", "");
  h.date = cal.value("date", "");
  h.ncpus = cal.value("ncpus", 1);
  h.physmem_mb = cal.value("physmem_mb", 0.0);
  h.own_anon_mb = cal.value("own_anon_mb", 0.0);
  return h;
}

int check(const po::variables_map& vm, const RunBudgets& budgets, int jobs, bool quick, bool quiet,
          const std::vector<std::string>& command_line, std::ostream& out, std::ostream& err) {
  const std::string file = vm["check"].as<std::string>();
  json raw = json::object();
  apply_costs_fragment(raw, file, "--check");  // a fragment, its costs
  const json frag = load_scenario_with_includes(file);
  const Scenario s = parse_scenario(frag);
  const long reps = integer_option(vm, "replications", 5, 2, 1000);
  std::optional<OutputFile> output;
  if (vm.count("output")) output.emplace(vm["output"].as<std::string>());
  const HostInfo now = host_info();
  if (s.calibration.is_object() && s.calibration.value("host", "") != now.host)
    err << "calibrate --check: note: the fragment was measured on " << s.calibration.value("host", "?")
        << ", this is " << now.host << "\n";
  const std::vector<BenchCase> cases = check_cases(quick);
  const std::vector<BenchFigure> measured = measure(cases, plan(quick), quiet, err);
  HostModel m = host_model(now);
  m.ncpus = s.machine.ncpus;
  m.physmem_mb = s.machine.physmem_mb;
  ExperimentContext ctx = experiment_context(budgets, jobs, false, err);
  PointRunner runner = counting(pool_point_runner(json::object(), ctx), "model runs, batch", quiet, err);
  std::vector<uint64_t> seeds;
  for (long i = 0; i < reps; ++i) seeds.push_back(static_cast<uint64_t>(1 + i));
  const auto predicted = predict_cases(cases, raw["costs"], m, runner, seeds);

  json rows = json::array();
  out << "held-out cases: measured (median of passes) against the calibrated model (" << reps
      << " replications, 95% interval)\n";
  out << std::left << std::setw(34) << "case" << std::right << std::setw(12) << "measured" << std::setw(12)
      << "predicted" << std::setw(10) << "+/-" << std::setw(9) << "error" << "  inside  within 15%\n";
  int outside = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const BenchFigure& f = measured[i];
    const Interval iv = t_interval(predicted[i]);
    const double err_rel = iv.mean / f.median - 1;
    const bool inside = iv.lo() && iv.hi() && f.median >= *iv.lo() && f.median <= *iv.hi();
    const bool goal = std::abs(err_rel) <= kGoal;
    outside += !goal;
    rows.push_back({{"case", bench_label(f.c)},
                    {"figure", bench_figure_json(f)},
                    {"predicted", interval_json(iv)},
                    {"error", err_rel},
                    {"inside_interval", inside},
                    {"within_goal", goal}});
    out << std::left << std::setw(34) << bench_label(f.c) << std::right << std::setw(12) << fmt(f.median, 5)
        << std::setw(12) << fmt(iv.mean, 5) << std::setw(10) << (iv.half_width ? fmt(*iv.half_width, 2) : "n/a")
        << std::setw(8) << std::showpos << fmt(100 * err_rel, 3) << std::noshowpos << "%  "
        << std::left << std::setw(8) << (inside ? "yes" : "no") << (goal ? "yes" : "NO") << "\n";
  }
  out << (outside ? std::to_string(outside) + " of " + std::to_string(cases.size()) +
                        " cases are more than 15% off (README \"Calibrating to this host\" says why)\n"
                  : "every case within 15%\n");
  if (output) {
    json doc = {{"kind", "calibration_check"},
                {"schema_version", 1},
                {"manifest", make_manifest(s.to_json(), seeds, command_line)},
                {"fragment", printable(file, 1024)},
                {"host", host_info_json(now)},
                {"replications", reps},
                {"goal", kGoal},
                {"cases", rows}};
    output->write(doc.dump(2) + "\n", out);
  }
  return kOk;
}

}  // namespace

int cmd_calibrate(const std::vector<std::string>& args, const std::vector<std::string>& command_line,
                  std::ostream& out, std::ostream& err) {
  po::options_description d("forksim calibrate -o HOST.json [options] | --check HOST.json");
  d.add_options()
      ("output,o", po::value<std::string>(),
       "write the fragment (costs, machine, calibration) here; with --check, the check's JSON")
      ("quick", "fewer sizes (0, 16, 64 MB; held out 8, 32) and shorter passes: well under a minute")
      ("check", po::value<std::string>(),
       "measure cases the fit did not use (other sizes, 2, 4 and 8 forking processes, a parent of "
       "4 forking threads) and compare each with this fragment's model, replicated")
      ("refit", po::value<std::string>(),
       "fit again the figures a fragment recorded (no measurement), as they would be fitted now")
      ("replications", po::value<std::string>(), "--check: replications of each prediction (default 5)")
      ("jobs", po::value<std::string>(), "model runs at once (default: every CPU)")
      ("max-wall-s", po::value<std::string>()->default_value("0"), "stop the model's runs past this wall time; 0: no limit")
      ("max-memory-mb", po::value<std::string>(), "memory budget of the model's runs, divided among --jobs")
      ("progress", po::value<std::string>()->default_value("off"), "(the model's runs draw no progress line)")
      ("quiet,q", "print only the result")
      ("help,h", "this help");
  po::variables_map vm;
  std::vector<Edit> edits;
  if (!parse(args, d, "check", out, vm, edits,
             "\nThe host is measured with fork, vfork and posix_spawn themselves; on Linux the costs become "
             "this host's while the model's structure stays illumos's (README).\n", 0))
    return kOk;
  if (!edits.empty()) throw Usage("takes no --set or --unset");
  if (vm.count("check") && vm.count("refit")) throw Usage("--check and --refit: one at a time");
  if (!vm.count("check") && !vm.count("output")) throw Usage("needs -o FILE for the fragment (or --check FILE)");
  bool quick = vm.count("quick") > 0;
  const bool quiet = vm.count("quiet") > 0;
  const int jobs = jobs_option(vm, 64);
  RunBudgets budgets = run_budgets(vm, jobs);
  budgets.command_line = command_line;
  InterruptGuard interrupts;
  try {
    if (vm.count("check")) return check(vm, budgets, jobs, quick, quiet, command_line, out, err);
    OutputFile output(vm["output"].as<std::string>());
    std::ostream& text = output.is_stdout() ? err : out;
    HostInfo host;
    BenchPlan p = plan(quick);
    std::vector<BenchFigure> figures;
    if (vm.count("refit")) {
      const std::string file = vm["refit"].as<std::string>();
      const json old = load_scenario_with_includes(file);
      parse_scenario(old);
      figures = figures_of(old, file);
      host = host_of(old["calibration"]);
      quick = old["calibration"].value("quick", quick);
    } else {
      host = host_info();
      figures = measure(fit_cases(quick), p, quiet, err);
    }
    ExperimentContext ctx = experiment_context(budgets, jobs, false, err);
    if (!quiet) err << "calibrate: fitting " << fitted_cost_groups().size() << " cost groups with the model\n";
    const auto start = std::chrono::steady_clock::now();
    const CostFit fit = fit_cost_factors(
        figures, host_model(host),
        counting(pool_point_runner(json::object(), ctx), "model evaluation", quiet, err,
                 fit_evaluations(fitted_cost_groups().size(), CostFitInput{}.max_rounds)));
    if (!quiet)
      err << "calibrate: fitted in " << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 3)
          << " s, " << fit.evaluations << " model evaluations\n";
    json frag = fragment_json(host, p, quick, figures, fit);
    if (vm.count("refit")) {
      // The figures' own plan, and when this fit was made.
      const json old = load_scenario_with_includes(vm["refit"].as<std::string>());
      if (old["calibration"].contains("plan")) frag["calibration"]["plan"] = old["calibration"]["plan"];
      frag["calibration"]["note"] = frag["calibration"]["note"].get<std::string>() + "; refitted by forksim " +
                                    kForksimVersion + " on " + host_info().date;
    }
    parse_scenario(frag);  // what it writes, `validate` reads
    output.write(frag.dump(2) + "\n", out);
    if (!quiet) print_fit(text, frag);
  } catch (const ExperimentStopped& e) {
    err << "forksim calibrate: " << e.what() << "; nothing written\n";
    return e.status;
  }
  if (int sig = interrupt_signal()) return kSignalBase + sig;
  return kOk;
}

}  // namespace forksim
