// warmup_s "auto": the scenario key, the pilot's MSER-5 cut, and the claim
// it rests on, that the window changes what is counted, never what runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "support.hpp"

using forksim::parse_scenario;
using forksim::ScenarioError;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::run_forksim;
using forksim::test::scenario_error;
using forksim::test::TempDir;
using nlohmann::json;

TEST_CASE("warmup_s: a number or \"auto\", anything else names the key", "[warmup]") {
  auto s = forksim::test::scenario(json::object(), {"warmup_s=auto"});
  CHECK(s.warmup_auto);
  CHECK(s.warmup_s == 0);  // the pilot's window, until the cut is chosen
  CHECK(s.to_json()["warmup_s"] == "auto");
  CHECK(parse_scenario(s.to_json()).warmup_auto);
  CHECK_FALSE(forksim::test::scenario(json::object(), {"warmup_s=2"}).warmup_auto);
  CHECK(scenario_error(json::object(), {"warmup_s=soon"}) ==
        "warmup_s: expected a number of seconds or \"auto\", got \"soon\"");
  CHECK(scenario_error(json::object(), {"warmup_s=Auto"}) ==
        "warmup_s: expected a number of seconds or \"auto\", got \"Auto\"; did you mean \"auto\"?");
  CHECK(scenario_error(json::object(), {"warmup_s=true"}) ==
        "warmup_s: expected a number of seconds or \"auto\", got boolean true");
  // 1 s at 0.1 s is 10 samples: 2 batches, too few to compare cuts over.
  CHECK(scenario_error(json::object(), {"warmup_s=auto", "duration_s=1"}) ==
        "warmup_s: \"auto\" needs at least 20 time-series samples (4 batches of 5) to choose a "
        "cut from; duration_s / timeseries_s gives 10: set timeseries_s <= 0.05");
  CHECK(scenario_error(json::object(), {"warmup_s=auto", "duration_s=1", "timeseries_s=0.05"}) ==
        "(no error)");
}

TEST_CASE("forksim run and validate: warmup_s \"auto\" and bad values", "[warmup][cli]") {
  TempDir d;
  Result v = run_cli(d, {"validate", "--set", "warmup_s=auto"});
  REQUIRE(v.status == 0);
  CHECK(json::parse(v.out)["warmup_s"] == "auto");
  Result bad = run_cli(d, {"run", "--quiet", "-o", "r.json", "--set", "warmup_s=later"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "forksim: warmup_s: expected a number of seconds or \"auto\", got \"later\"\n");
  Result few = run_cli(d, {"run", "--quiet", "--set", "warmup_s=auto", "--set", "duration_s=0.5"});
  CHECK(few.status == 2);
  CHECK(few.err.find("forksim: warmup_s: \"auto\" needs at least 20 time-series samples") == 0);
  CHECK(forksim::test::names_in(d.path).empty());  // nothing half-written
}

namespace {

// Every figure but the wall clock's.
json without_wall(json r) {
  r.erase("wall_time_s");
  return r;
}

}  // namespace

TEST_CASE("the warm-up changes what is counted, never what runs", "[warmup]") {
  // The probes gate on the window; no event waits for its start. So the
  // engine resumes the same waits and the time series (never windowed) is
  // the same.
  for (const std::vector<std::string>& base :
       {std::vector<std::string>{"--set", "duration_s=3"},
        std::vector<std::string>{"cgi-server", "--set", "duration_s=0.6"}}) {
    json a = run_forksim(forksim::test::concat(base, {"--set", "warmup_s=0"}));
    json b = run_forksim(forksim::test::concat(base, {"--set", "warmup_s=0.3"}));
    CHECK(a["engine"]["events"].get<uint64_t>() > 1000);
    CHECK(a["engine"] == b["engine"]);
    CHECK(a["timeseries"] == b["timeseries"]);
    CHECK(a["window"]["start_s"] == 0.0);
    CHECK(b["window"]["start_s"] == 0.3);
    CHECK(b["warmup"] == json{{"requested", 0.3}});
  }
}

TEST_CASE("warmup_s auto: MSER-5 on the pilot's forks_per_s, then the run with that cut",
          "[warmup]") {
  // A transient: on one CPU a fork bomb (capped by maxuprc) runs its burst
  // of forks while 4 shells fork beside it, then only the shells fork.
  const std::vector<std::string> base = {
      "--set",
      R"(workload={"groups": [{"name": "bomb", "type": "fork_bomb", "fan_out": 2,)"
      R"( "parent": {"uid": 200}, "retry": {"policy": "bash"}},)"
      R"( {"name": "shells", "parents": 4, "think_s": 0.002}]})",
      "--set", "tunables.maxuprc=4000", "--set", "machine.ncpus=1",
      "--set", "duration_s=2", "--set", "timeseries_s=0.02"};
  json r = run_forksim(forksim::test::concat(base, {"--set", "warmup_s=auto"}));
  const json& w = r["warmup"];
  CHECK(w["requested"] == "auto");
  CHECK(w["method"] == "MSER-5");
  CHECK(w["series"] == "forks_per_s");
  CHECK(w["batch"] == 5);
  CHECK(w["batches"] == 20);  // 100 intervals of 0.02 s
  CHECK(w["statistic"].get<double>() > 0);
  const double cut = w["cut_s"].get<double>();
  CHECK(r["window"]["start_s"] == w["cut_s"]);
  CHECK(r["scenario"]["warmup_s"] == "auto");
  // The burst's end from the series itself (the same in every run of the
  // scenario: the window does not change it): the end of the last interval
  // with more than twice the shells' rate of the last second.
  const json& f = r["timeseries"]["forks_per_s"];
  double late = 0;
  for (std::size_t i = 51; i < f.size(); ++i) late += f[i].get<double>();
  late /= static_cast<double>(f.size() - 51);
  double burst_end = 0;
  for (std::size_t i = 1; i < f.size(); ++i)
    if (f[i].get<double>() > 2 * late) burst_end = r["timeseries"]["t_s"][i].get<double>();
  INFO("burst ends at " << burst_end << " s, cut at " << cut << " s");
  CHECK(burst_end > 0.2);
  CHECK(std::abs(cut - burst_end) <= 0.1 + 1e-9);  // within one batch (5 x 0.02 s)
  CHECK(r["scenario"]["warmup_s"] == "auto");

  // The same scenario with the cut as a number: the same report, but for
  // how the warm-up was asked for.
  json n = run_forksim(forksim::test::concat(base, {"--set", "warmup_s=" + w["cut_s"].dump()}));
  CHECK(n["warmup"] == json{{"requested", cut}});
  json a = without_wall(r), b = without_wall(n);
  // The manifest records the command line and the scenario as asked.
  for (json* j : {&a, &b}) {
    j->erase("warmup");
    j->erase("manifest");
  }
  a["scenario"].erase("warmup_s");
  b["scenario"].erase("warmup_s");
  CHECK(a == b);
}

TEST_CASE("warmup_s auto without forks: the cut is taken on cpu_utilization", "[warmup]") {
  json r = run_forksim({"--set", R"(workload={"type": "interactive", "period_s": 0.01})",
                        "--set", "duration_s=1", "--set", "timeseries_s=0.01",
                        "--set", "warmup_s=auto"});
  CHECK(r["warmup"]["series"] == "cpu_utilization");
  CHECK(r["warmup"]["batches"] == 20);
  CHECK(r["window"]["start_s"] == r["warmup"]["cut_s"]);
}

TEST_CASE("warmup_s auto: a budget that stops the pilot writes its partial report, exit 3",
          "[warmup][cli]") {
  TempDir d;
  Result r = run_cli(d, {"run", "--quiet", "-o", "r.json", "--max-wall-s", "0.2", "--set",
                         "warmup_s=auto", "--set", "duration_s=1e4"});
  CHECK(r.status == 3);
  CHECK(r.err.find("forksim: stopped early: wall time 0.2 s passed --max-wall-s 0.2 in the run at simulated ") == 0);
  CHECK(r.err.find("(in the warm-up pilot); the report is marked incomplete\n") != std::string::npos);
  json j = json::parse(forksim::test::read_file(d / "r.json"));
  CHECK(j["complete"] == false);
  CHECK(j["window"]["start_s"] == 0.0);
  CHECK(j["scenario"]["warmup_s"] == "auto");
  CHECK(j["warmup"]["requested"] == "auto");
  CHECK(j["warmup"]["cut_s"] == nullptr);
  CHECK(j["warmup"]["reason"].get<std::string>().find(
            "the pilot run that chooses the cut stopped early: wall time 0.2 s passed --max-wall-s 0.2") == 0);
}
