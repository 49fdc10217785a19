// The time series over a known transient: a fork bomb from t = 0 on a
// small machine. Its per-interval columns add up to the report's totals
// (forks, CPU), nproc rises to the table's limit and stays, and the
// latencies of the admin probe and an interactive victim are located in
// time, per group on a composite machine.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/report_budget.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using forksim::test::run_here;
using forksim::test::scenario;
using nlohmann::json;

namespace {

// 2 CPUs, a 300-process table, a bomb of uid 500 from t = 0 with root's
// probe every 0.1 s and a victim waking every 0.05 s; 3 s sampled every
// 0.05 s, all of it measured.
json bomb_machine() {
  return json::parse(R"({"duration_s": 3, "warmup_s": 0, "timeseries_s": 0.05,
    "machine": {"ncpus": 2}, "tunables": {"max_nprocs": 300},
    "workload": {"groups": [
      {"name": "bomb", "type": "fork_bomb", "parent": {"uid": 500},
       "admin_probe": {"interval_s": 0.1}},
      {"name": "victim", "type": "interactive", "period_s": 0.05, "cpu_s": 0.002}]}})");
}

}  // namespace

TEST_CASE("a bomb's time series adds up to its report and locates the fill", "[timeseries][model]") {
  json r = run_here(scenario(bomb_machine()));
  const json& ts = r["timeseries"];
  const double period = 0.05;
  const size_t n = ts["t_s"].size();
  REQUIRE(n == 61);  // t = 0, 0.05, ..., 3
  for (const char* column : {"nproc", "forks_per_s", "cpu_utilization", "runq", "runnable"})
    CHECK(ts[column].size() == n);

  // Per-interval forks sum to the bomb's successful forks (the probe's are
  // its own); per-interval CPU averages to the window's utilization.
  double forks = 0, cpu = 0;
  for (size_t i = 1; i < n; ++i) {
    forks += ts["forks_per_s"][i].get<double>() * period;
    cpu += ts["cpu_utilization"][i].get<double>();
  }
  CHECK(std::round(forks) == r["paths"]["fork1"]["successes"].get<double>());
  CHECK(cpu / (n - 1) == Approx(r["cpu"]["utilization"].get<double>()).epsilon(1e-9));

  // nproc rises from the start to the table's limit for a non-root user
  // (max_nprocs - reserved_procs, the victim and root's probe with the
  // system's processes among them) and stays there.
  const int top = r["processes"]["nproc_max"].get<int>();
  CHECK(top <= 300);
  CHECK(top >= 300 - r["scenario"]["tunables"]["reserved_procs"].get<int>());
  CHECK(ts["nproc"][0].get<int>() < top / 2);
  size_t full = 0;
  while (full < n && ts["nproc"][full].get<int>() < top - 2) ++full;
  CHECK(full < n / 2);  // filled within the first half
  for (size_t i = full; i < n; ++i) CHECK(ts["nproc"][i].get<int>() >= top - 2);
  // Forks come fast during the fill, and, the table full, only as the
  // bomb's processes exit (they never do): failures replace them.
  CHECK(ts["forks_per_s"][1].get<double>() > 100);
  CHECK(ts["forks_per_s"][n - 1].get<double>() == 0);
  CHECK(ts["failures_per_s"][n - 1].get<double>() > 0);
  // With the CPUs saturated, threads wait: the run queue is the runnable
  // threads not on a CPU.
  CHECK(ts["runq"][n - 1].get<int>() > 0);
  for (size_t i = 0; i < n; ++i)
    CHECK(ts["runnable"][i].get<int>() - ts["runq"][i].get<int>() <= 2);

  // Each group's latencies are under groups.<name>.timeseries, aligned
  // with t_s; null where none ended in the interval.
  const json& probe = r["groups"]["bomb"]["timeseries"]["admin_latency_s"];
  const json& resp = r["groups"]["victim"]["timeseries"]["response_s"];
  REQUIRE(probe.size() == n);
  REQUIRE(resp.size() == n);
  CHECK(probe[0].is_null());
  CHECK(probe[1].is_null());  // the first probe is at 0.1 s
  int probes = 0;
  const json& lat = r["groups"]["bomb"]["admin_probe"]["latency_s"];
  for (const json& v : probe) {
    if (v.is_null()) continue;
    ++probes;
    CHECK(v.get<double>() <= lat["max"].get<double>() * (1 + 1e-9));
  }
  CHECK(probes > 0);
  int responses = 0;
  for (const json& v : resp) responses += v.is_null() ? 0 : 1;
  CHECK(responses > 0);
  CHECK_FALSE(ts.contains("response_s"));  // a composite's group columns are its own
}

TEST_CASE("the report budget counts a time series' columns, groups' included", "[timeseries][budget]") {
  using forksim::timeseries_bytes_per_sample;
  forksim::Scenario plain = scenario(json::object());
  forksim::Scenario bomb = scenario(bomb_machine());
  CHECK(timeseries_bytes_per_sample(plain) == forksim::kBytesPerSample);
  CHECK(timeseries_bytes_per_sample(bomb) ==
        forksim::kBytesPerSample + 2 * forksim::kBytesPerGroupColumn);
}
