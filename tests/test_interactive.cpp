// The interactive workload, the usability victim: a process that wakes
// every period_s, runs cpu_s and reports how late it finished
// (response_s). Known answers: alone, the response is its work plus one
// context switch; against CPU-bound threads it follows the dispatcher (a
// TS thread back from sleep preempts CPU-bound TS work; an RT thread
// waits for RT hogs of its priority, whose quantum is a second).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using forksim::test::run_cli;
using forksim::test::run_here;
using forksim::test::scenario;
using forksim::test::scenario_error;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

constexpr double kCtxsw = 5e-6;  // the scenarios' context switch, 5,000 ns

// One CPU: `hogs` closed parents whose children are CPU-bound (1,000 s of
// work each) in class `hog_class`, and a victim of class `victim_class`
// waking every 0.1 s for 5 ms; measured after 5 s, when the hogs' TS
// priorities have fallen to their CPU-bound levels.
json hogs_and_victim(const std::string& hog_class, const std::string& victim_class, int hogs = 4) {
  json j = json::parse(R"({"duration_s": 10, "warmup_s": 5, "machine": {"ncpus": 1},
    "costs": {"ctxsw": 5000},
    "workload": {"groups": [
      {"name": "hogs", "type": "closed", "think_s": 0,
       "child": {"exec": false, "cpu_s": 1000, "lifetime_s": 0}},
      {"name": "victim", "type": "interactive", "period_s": 0.1, "cpu_s": 0.005}]}})");
  j["workload"]["groups"][0]["parents"] = hogs;
  j["workload"]["groups"][0]["parent"] = {{"class", hog_class}};
  j["workload"]["groups"][1]["parent"] = {{"class", victim_class}};
  return j;
}

// The victim alone on the default 8-CPU machine, measured from t = 0.
json victim_alone(double duration_s, double period_s, double cpu_s) {
  json w = {{"type", "interactive"}, {"period_s", period_s}, {"cpu_s", cpu_s}};
  return run_here(scenario({{"duration_s", duration_s}, {"warmup_s", 0},
                            {"costs", {{"ctxsw", 5000}}}, {"workload", w}}));
}

}  // namespace

TEST_CASE("an interactive process alone responds in its work plus one context switch",
          "[interactive][model]") {
  json r = victim_alone(2, 0.1, 0.01);
  const json& h = r["response_s"];
  // Wake-ups at 0, 0.1, ..., 1.9 end in the window; the one at 2.0 after it.
  CHECK(h["count"] == 20);
  CHECK(h["mean"].get<double>() == Approx(0.01 + kCtxsw).epsilon(1e-9));
  CHECK(h["max"].get<double>() == Approx(0.01 + kCtxsw).epsilon(1e-9));
  CHECK(r["paths"].empty());  // it never forks
  CHECK(r["throughput"]["attempts_per_s"] == 0.0);
  // Its CPU: 20 wake-ups of 10.005 ms on 8 CPUs over 2 s.
  CHECK(r["cpu"]["utilization"].get<double>() == Approx(20 * (0.01 + kCtxsw) / 16));
  // Over time: nothing had ended by the first sample; then one per interval.
  const json& series = r["timeseries"]["response_s"];
  REQUIRE(series.size() == r["timeseries"]["t_s"].size());
  CHECK(series[0].is_null());
  CHECK(series[1].get<double>() == Approx(0.01 + kCtxsw));
  CHECK(r["invariants"]["drained"] == true);
}

TEST_CASE("an interactive process whose work outlasts its period is late by the overrun",
          "[interactive][model]") {
  // 0.15 s of work every 0.1 s: wake-up k is due at 0.1 k and ends at
  // 0.15 (k + 1) plus the first dispatch's switch, so its response grows
  // by 0.05 s a wake-up.
  json r = victim_alone(1, 0.1, 0.15);
  const json& h = r["response_s"];
  // The ends of wake-ups 0..5 are inside the window.
  CHECK(h["count"] == 6);
  // A thread that never leaves its CPU pays the first dispatch only.
  CHECK(h["max"].get<double>() == Approx(6 * 0.15 + kCtxsw - 0.5).epsilon(1e-9));
}

TEST_CASE("a TS victim back from sleep preempts CPU-bound TS threads", "[interactive][model]") {
  json r = run_here(scenario(hogs_and_victim("TS", "TS")));
  const json& v = r["groups"]["victim"]["response_s"];
  CHECK(v["count"] == 50);
  // Most wake-ups run at once: its work and a switch, not the hogs' quanta.
  CHECK(v["p50"].get<double>() == Approx(0.005 + kCtxsw).epsilon(0.01));
  // Once a second ts_update raises the hogs, starved in the run queue, to
  // ts_lwait (50-59), above where the victim's expired quanta left it, and
  // a wake-up then waits for them: at most a few of the ten a second.
  CHECK(v["max"].get<double>() > 0.05);
  CHECK(v["p90"].get<double>() < 0.5);
  CHECK(r["cpu"]["utilization"].get<double>() == Approx(1.0));
}

TEST_CASE("an RT victim waits for RT hogs of its priority", "[interactive][model]") {
  // Round robin among equals: each hog holds the CPU a full quantum.
  json r = run_here(scenario(hogs_and_victim("RT", "RT")));
  const json& v = r["groups"]["victim"]["response_s"];
  CHECK(v["count"].get<int>() > 10);
  CHECK(v["mean"].get<double>() > 0.5);
  // At worst behind the four hogs' full quanta (rt_dptbl: 100 ticks at hz 100).
  CHECK(v["max"].get<double>() < 4 * 1.0 + 0.1);
}

TEST_CASE("an RT victim preempts TS hogs at every wake-up", "[interactive][model]") {
  json r = run_here(scenario(hogs_and_victim("TS", "RT")));
  const json& v = r["groups"]["victim"]["response_s"];
  CHECK(v["count"] == 50);
  CHECK(v["max"].get<double>() == Approx(0.005 + kCtxsw).epsilon(1e-6));
}

TEST_CASE("an interactive workload's bad keys are named", "[interactive][scenario]") {
  CHECK_THAT(scenario_error({{"workload", {{"type", "interactive"}, {"period_s", 0}}}}),
             Contains("workload.period_s: must be between 1e-06 and 1e+15, got 0"));
  CHECK_THAT(scenario_error({{"workload", {{"type", "interactive"}, {"cpu_s", -1}}}}),
             Contains("workload.cpu_s: must be >= 0, got -1"));
  CHECK_THAT(scenario_error({{"workload", {{"type", "interactive"}, {"path", "vfork"}}}}),
             Contains("workload.path: applies only to closed, open, fork_bomb and service workloads"));
  CHECK_THAT(scenario_error({{"workload", {{"type", "interactive"}, {"child", json::object()}}}}),
             Contains("workload.child: applies only to closed, open and service workloads"));
  CHECK_THAT(scenario_error({{"workload", {{"period_s", 1}}}}),
             Contains("workload.period_s: applies only to interactive workloads"));
  // Resolved and read back, it is the same scenario, with only its own keys.
  forksim::Scenario s = scenario({{"workload", {{"type", "interactive"}, {"parent", {{"uid", 7}}},
                                                {"cpu_s", {{"dist", "exponential"}, {"mean", 0.002}}}}}});
  json w = s.to_json()["workload"];
  CHECK(w["period_s"] == 0.1);
  CHECK(w["cpu_s"]["mean"] == 0.002);
  CHECK_FALSE(w.contains("path"));
  CHECK_FALSE(w.contains("parents"));
  CHECK(scenario(s.to_json()).to_json() == s.to_json());
}

TEST_CASE("forksim run refuses an interactive period of nothing, exit 2", "[interactive][cli]") {
  TempDir d;
  auto r = run_cli(d, {"run", "--quiet", "--set", R"(workload={"type": "interactive", "period_s": 1e-9})",
                       "-o", "r.json"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("workload.period_s: must be between 1e-06 and 1e+15, got 1e-09"));
  CHECK_FALSE(std::filesystem::exists(d / "r.json"));
}

TEST_CASE("forksim run summarises the victim's response", "[interactive][cli]") {
  TempDir d;
  auto r = run_cli(d, {"run", "--set", R"(workload={"type": "interactive", "period_s": 0.1, "cpu_s": 0.01})",
                       "--set", "duration_s=2", "--set", "costs.ctxsw=0"});
  CHECK(r.status == 0);
  // Wake-ups at 0.2, ..., 1.9 end in the window [0.2, 2].
  // (Percentiles are the histogram's, within 1%: not quoted here.)
  CHECK_THAT(r.out, Contains("response    18 wake-ups, wake-up to end of work mean 10.00 ms, p50 "));
  CHECK_THAT(r.out, Contains(", max 10.00 ms\n"));
  CHECK_THAT(r.out, !Contains("path "));  // it forks nothing
}

// The victim draws its work from a stream of its own (Stream::VictimCpu,
// its group's index): on CPUs it never waits for, its responses are its
// draws plus a switch, and they stay the same when shells join it.
TEST_CASE("a victim's work draws do not move when a group joins it", "[interactive][streams]") {
  json victim = json::parse(R"({"name": "victim", "type": "interactive", "period_s": 0.01,
                                "cpu_s": {"dist": "exponential", "mean": 0.002}})");
  json shells = json::parse(R"({"name": "shells", "type": "closed", "parents": 2, "think_s": 0.01})");
  auto run = [](const json& groups) {
    return forksim::test::run_forksim({"--set", "duration_s=1", "--set", "warmup_s=0",
                                       "--set", "workload=" + json{{"groups", groups}}.dump()});
  };
  json alone = run(json::array({victim})), together = run(json::array({victim, shells}));
  const json& a = alone["groups"]["victim"]["response_s"];
  const json& b = together["groups"]["victim"]["response_s"];
  CHECK(a["count"].get<int>() >= 99);
  CHECK(a["count"] == b["count"]);
  CHECK(a["mean"].get<double>() == Approx(b["mean"].get<double>()).epsilon(1e-12));
  CHECK(a["max"] == b["max"]);
  CHECK(together["groups"]["shells"]["paths"]["fork1"]["successes"].get<int>() > 50);
}
