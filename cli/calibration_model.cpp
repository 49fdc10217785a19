#include "cli/calibration_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "models/steps.hpp"

namespace forksim {
namespace {

std::string set_number(double x) {
  std::ostringstream s;
  s.precision(12);
  s << x;
  return s.str();
}

// A rough cycle of the case's loop at the default costs, seconds: the run
// is long enough for some 600 of them, whatever the size, so that a figure
// counted over the window (a throughput) is not coarse (the costs are
// fixed, so every cycle of a case is alike and a mean needs few).
double cycle_s(const BenchCase& c, const HostModel& m) {
  const double mb = c.size_mb + m.own_anon_mb;
  const double one = c.kind == BenchKind::VforkCall || c.kind == BenchKind::SpawnCall ? 250e-6 : 150e-6 + 40e-6 * mb;
  const int forkers = c.processes * c.threads;
  return one / std::max(1, std::min(forkers, m.ncpus));
}

}  // namespace

const std::vector<CostGroup>& fitted_cost_groups() {
  static const std::vector<CostGroup> g = {
      {"as_dup", {"as_dup"}, "the fork call of the smallest parent"},
      {"as_dup_page", {"as_dup_page"}, "the fork call's growth with the parent's resident pages"},
      {"exec_relvm", {"exec_relvm"}, "fork + wait less the fork call, smallest parent"},
      {"as_free_page", {"as_free_page", "forklwperr_page"}, "fork + wait less the fork call, its growth per page"},
      // The steps docs/measurements.md scales together to the vfork call.
      {"vfork_path",
       {"holdlwps", "proc_alloc", "getproc_link", "getproc_copy", "forklwp", "fork_publish", "child_start"},
       "the vfork call"},
      {"exec_before_relvm", {"exec_lookup", "exec_open", "exec_header", "exec_args"},
       "the posix_spawn call less the vfork call"},
  };
  return g;
}

std::map<std::string, double> group_costs(const std::vector<double>& factors) {
  const auto& groups = fitted_cost_groups();
  if (factors.size() != groups.size()) throw std::invalid_argument("group_costs: one factor per group");
  std::map<std::string, double> out;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const std::string& step : groups[g].steps) {
      const StepInfo* st = find_step(step);
      if (!st) throw std::logic_error("fitted cost group names an unknown step " + step);
      // 0.01 ns: far below any figure, and a fragment stays readable.
      out[step] = std::round(factors[g] * st->cost_ns * 100) / 100;
    }
  return out;
}

bool case_predicted(const BenchCase& c) { return c.kind != BenchKind::NprocFail; }

bool fitted_case(const BenchCase& c) {
  return c.kind == BenchKind::ForkCall || c.kind == BenchKind::ForkWait || c.kind == BenchKind::VforkCall ||
         c.kind == BenchKind::SpawnCall || (c.kind == BenchKind::ForkRate && c.processes == 1 && c.threads == 1);
}

std::vector<std::string> case_sets(const BenchCase& c, const HostModel& m) {
  if (!case_predicted(c)) throw std::invalid_argument(std::string(bench_kind_name(c.kind)) + " is not modelled");
  const double duration = std::clamp(600 * cycle_s(c, m), 0.2, 30.0);
  const bool vfork = c.kind == BenchKind::VforkCall || c.kind == BenchKind::SpawnCall;
  // The loops of host_bench.cpp: no think time, a child that exits at once
  // (or execs a program that does), reaped at once.
  std::vector<std::string> sets = {
      "machine.ncpus=" + std::to_string(m.ncpus),
      "machine.physmem_mb=" + set_number(m.physmem_mb),
      "duration_s=" + set_number(duration),
      "warmup_s=" + set_number(duration / 10),
      "workload.type=closed",
      "workload.parents=" + std::to_string(c.processes),
      "workload.think_s=0",
      "workload.path=" + std::string(vfork ? "vfork" : "fork1"),
      "workload.child.lifetime_s=0",
      "workload.child.exec=" + std::string(c.kind == BenchKind::SpawnCall ? "true" : "false"),
      "workload.parent.writable_mb=" + set_number(c.size_mb + m.own_anon_mb),
      "workload.parent.lwps=" + std::to_string(c.threads),
      "workload.parent.forking_lwps=" + std::to_string(c.threads),
  };
  return sets;
}

double case_figure(const BenchCase& c, const nlohmann::json& report) {
  auto at = [&report](std::initializer_list<const char*> path) {
    const nlohmann::json* j = &report;
    for (const char* k : path) {
      if (!j->is_object() || !j->contains(k))
        throw std::runtime_error(std::string("a calibration run's report has no ") + k);
      j = &(*j)[k];
    }
    if (!j->is_number()) throw std::runtime_error("a calibration run's figure is not a number");
    return j->get<double>();
  };
  switch (c.kind) {
    case BenchKind::ForkCall: return at({"paths", "fork1", "latency_s", "mean"}) * 1e6;
    case BenchKind::VforkCall:
    case BenchKind::SpawnCall: return at({"paths", "vfork", "latency_s", "mean"}) * 1e6;
    // The parent forks again as soon as it has reaped: one cycle per fork.
    case BenchKind::ForkWait: return 1e6 / at({"throughput", "forks_per_s"});
    case BenchKind::ForkRate: return at({"throughput", "forks_per_s"});
    case BenchKind::NprocFail: break;
  }
  throw std::invalid_argument(std::string(bench_kind_name(c.kind)) + " is not modelled");
}

std::vector<std::vector<double>> predict_cases(const std::vector<BenchCase>& cases,
                                               const nlohmann::json& costs,
                                               const HostModel& m, const PointRunner& runner,
                                               const std::vector<uint64_t>& seeds) {
  std::vector<std::string> cost_sets;
  for (const auto& item : costs.items()) cost_sets.push_back("costs." + item.key() + "=" + item.value().dump());
  std::vector<PointRequest> batch;
  std::vector<std::size_t> point_of;
  for (const BenchCase& c : cases) {
    std::vector<std::string> sets = case_sets(c, m);
    sets.insert(sets.end(), cost_sets.begin(), cost_sets.end());
    auto same = std::find_if(batch.begin(), batch.end(), [&sets](const PointRequest& r) { return r.sets == sets; });
    point_of.push_back(static_cast<std::size_t>(same - batch.begin()));
    if (same == batch.end()) batch.push_back({sets, seeds});
  }
  const auto reports = runner(batch);
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::vector<double> v;
    for (const nlohmann::json& r : reports[point_of[i]]) v.push_back(case_figure(cases[i], r));
    out.push_back(v);
  }
  return out;
}

CostFit fit_cost_factors(const std::vector<BenchFigure>& figures, const HostModel& m,
                         const PointRunner& runner) {
  std::vector<BenchCase> cases;
  CostFitInput in;
  for (const BenchFigure& f : figures)
    if (f.skipped.empty() && fitted_case(f.c)) {
      cases.push_back(f.c);
      in.measured.push_back(f.median);
    }
  in.start.assign(fitted_cost_groups().size(), 1.0);
  in.predict = [&](const std::vector<double>& factors) {
    std::vector<double> f;
    const nlohmann::json costs(group_costs(factors));
    for (const auto& v : predict_cases(cases, costs, m, runner, {1})) f.push_back(v[0]);
    return f;
  };
  return fit_costs(in);
}

}  // namespace forksim
