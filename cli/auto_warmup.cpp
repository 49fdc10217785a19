#include "cli/auto_warmup.hpp"

#include <csignal>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/mser.hpp"
#include "analysis/report.hpp"
#include "cli/interrupt.hpp"
#include "driver/child_pool.hpp"

namespace forksim {

using nlohmann::json;

namespace {

constexpr std::size_t kBatch = 5;

// The pilot, in the child: its two candidate series (without the t = 0
// sample), or, when it was stopped, its partial report.
json run_pilot(const Scenario& s, const RunOptions& opt) {
  Scenario pilot = s;
  pilot.warmup_auto = false;
  pilot.warmup_s = 0;
  Probes p = run_scenario(pilot, opt);
  json forks = json::array(), cpu = json::array();
  for (std::size_t i = 1; i < p.timeseries.size(); ++i) {
    forks.push_back(p.timeseries[i].forks_per_s);
    cpu.push_back(p.timeseries[i].cpu_utilization);
  }
  json out = {{"complete", p.complete}, {"forks_per_s", forks}, {"cpu_utilization", cpu}};
  if (!p.complete) {
    RunInfo info;
    info.scenario = s.to_json();
    info.seed = s.seed;
    info.sim_time_s = p.sim_time_s;
    info.warmup = {{"requested", "auto"}, {"method", "MSER-5"}, {"cut_s", nullptr},
                   {"reason", "the pilot run that chooses the cut stopped early: " +
                                  p.incomplete_reason}};
    out["report"] = make_report(info, p);
  }
  return out;
}

// Waits for the pilot; a signal the parent alone received is passed on, so
// that the pilot stops as the run would. (One that comes between the check
// and waitpid() is passed on only when the pilot ends: a window of a few
// instructions.)
ChildOutcome wait_pilot(ChildPool& pool) {
  InterruptsCutWaits cut;
  bool passed_on = false;
  for (;;) {
    if (int sig = interrupt_signal(); sig && !passed_on) {
      pool.signal_all(sig);
      passed_on = true;
    }
    if (auto o = pool.wait_one(true)) return *o;
  }
}

}  // namespace

WarmupChoice choose_warmup(Scenario& s, const RunOptions& opt) {
  WarmupChoice c;
  if (!s.warmup_auto) {
    c.warmup = {{"requested", s.warmup_s}};
    return c;
  }
  ChildPool pool(1);
  pool.start(0, [&s, &opt] { return run_pilot(s, opt); });
  ChildOutcome o = wait_pilot(pool);
  if (!o.result) throw std::runtime_error("the warm-up pilot run failed: " + o.error);
  const json& r = *o.result;
  if (!r.at("complete").get<bool>()) {
    c.stopped_pilot = r.at("report");
    c.warmup = c.stopped_pilot->at("warmup");
    return c;
  }
  std::string series = "forks_per_s";
  std::vector<double> x = r.at(series).get<std::vector<double>>();
  bool forked = false;
  for (double v : x) forked = forked || v > 0;
  if (!forked) {
    series = "cpu_utilization";
    x = r.at(series).get<std::vector<double>>();
  }
  const MserResult m = mser(x, s.timeseries_s, kBatch);
  s.warmup_s = m.cut_s;
  c.warmup = {{"requested", "auto"},  {"method", "MSER-5"},      {"series", series},
              {"batch", kBatch},      {"cut_s", m.cut_s},        {"statistic", m.statistic},
              {"batches", m.batches}};
  return c;
}

}  // namespace forksim
