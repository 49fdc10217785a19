// Composite machines: workload.groups, several workloads of any type on one
// machine sharing its CPUs, locks, process table and swap, each reported
// under groups.<name> with the machine-wide totals beside them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using forksim::Scenario;
using forksim::test::scenario;
using forksim::test::scenario_error;
using nlohmann::json;

namespace {

// Shells (closed), a web server (open, vfork) and a fork bomb with root's
// probe, on 8 CPUs.
json mixed() {
  return json::parse(R"({"duration_s": 0.5, "warmup_s": 0.1, "machine": {"ncpus": 8},
    "workload": {"groups": [
      {"name": "shells", "type": "closed", "parents": 16},
      {"name": "web", "type": "open", "rate_per_s": 2000, "parents": 8, "path": "vfork"},
      {"name": "bomb", "type": "fork_bomb", "parent": {"uid": 500},
       "admin_probe": {"interval_s": 0.05}}]}})");
}

json with_groups(const json& groups) { return {{"workload", {{"groups", groups}}}}; }

}  // namespace

TEST_CASE("a composite workload names its groups, each a workload of any type", "[groups]") {
  Scenario s = scenario(mixed());
  REQUIRE(s.composite());
  REQUIRE(s.workloads().size() == 3);
  CHECK(s.groups[0].name == "shells");
  CHECK(s.groups[1].type == "open");
  CHECK(s.groups[1].path == "vfork");
  CHECK(s.groups[2].admin_probe.enabled);
  // Resolved and read back, it is the same scenario.
  CHECK(scenario(s.to_json()).to_json() == s.to_json());
  CHECK(s.to_json()["workload"]["groups"][1]["name"] == "web");
  // A single workload stays what it was, with no name.
  Scenario one = scenario(json::object());
  CHECK_FALSE(one.composite());
  CHECK(one.workloads().size() == 1);
  CHECK_FALSE(one.to_json()["workload"].contains("name"));
}

TEST_CASE("a composite workload's mistakes name the group's key", "[groups]") {
  CHECK_THAT(scenario_error(with_groups(json::array({{{"type", "closed"}}}))),
             Contains("workload.groups[0].name: missing: every group needs a name"));
  CHECK_THAT(scenario_error(with_groups(json::array({{{"name", "Web"}}}))),
             Contains("workload.groups[0].name: must be 1 to 64 of a-z, 0-9, '_' and '-', got \"Web\""));
  CHECK_THAT(scenario_error(with_groups(json::array({{{"name", "a"}}, {{"name", "a"}}}))),
             Contains("workload.groups[1].name: another group is already named \"a\""));
  CHECK_THAT(scenario_error(with_groups(json::array({{{"name", "a"}, {"rate_per_s", 5}}}))),
             Contains("workload.groups[0].rate_per_s: applies only to open and service workloads"));
  CHECK_THAT(scenario_error(with_groups(json::array())),
             Contains("workload.groups: needs at least one group"));
  CHECK_THAT(scenario_error(with_groups(json::object())),
             Contains("workload.groups: expected an array of workload objects, got object"));
  CHECK_THAT(scenario_error({{"workload", {{"groups", json::array({{{"name", "a"}}})}, {"parents", 3}}}}),
             Contains("workload.parents: a composite workload has only \"groups\""));
  // A single workload has no name to give.
  CHECK_THAT(scenario_error({{"workload", {{"name", "a"}}}}), Contains("workload.name: unknown key"));
}

TEST_CASE("a set reaches into a group by its name or its index", "[groups]") {
  Scenario s = scenario(mixed(), {"workload.groups.web.rate_per_s=500",
                                  "workload.groups.0.parents=3"});
  CHECK(s.groups[1].rate_per_s == 500);
  CHECK(s.groups[0].parents == 3);
  CHECK_THAT(scenario_error(mixed(), {"workload.groups.db.rate_per_s=5"}),
             Contains("workload.groups has no element named \"db\""));
  CHECK_THAT(scenario_error(mixed(), {"workload.groups.7.parents=5"}),
             Contains("workload.groups has no element named \"7\""));
}

// One run, three groups: each has its own paths, throughput and failures;
// the machine-wide paths are their sums; the locks, CPU, processes and
// invariants are the machine's. The bomb's failures are its own (the shells,
// though they share the process table and swap, are counted apart).
TEST_CASE("a composite machine reports each group and the machine's totals", "[groups][model]") {
  json r = forksim::test::run_here(scenario(mixed()));
  const json& g = r["groups"];
  REQUIRE(g.size() == 3);
  uint64_t fork1 = 0;
  for (const char* name : {"shells", "bomb"}) fork1 += g[name]["paths"]["fork1"]["attempts"].get<uint64_t>();
  CHECK(r["paths"]["fork1"]["attempts"].get<uint64_t>() == fork1);
  CHECK(r["paths"]["vfork"]["successes"] == g["web"]["paths"]["vfork"]["successes"]);
  CHECK(g["web"]["requests"]["offered"].get<uint64_t>() > 500);
  CHECK(g["web"]["requests"]["served"].get<uint64_t>() > 500);
  CHECK_FALSE(g["web"].contains("admin_probe"));
  // Root's probe forks through the storm, if slowly (every 0.05 s, each
  // fork taking tens of ms behind the bomb's processes).
  CHECK(g["bomb"]["admin_probe"]["attempts"].get<uint64_t>() >= 1);
  CHECK(g["bomb"]["throughput"]["failures_per_s"].get<double>() > 0);
  CHECK_FALSE(g["bomb"]["failures_by_reason"].empty());
  // Only groups carry a workload's own requests and probe.
  CHECK_FALSE(r.contains("requests"));
  CHECK_FALSE(r.contains("admin_probe"));
  double total = 0;
  for (const auto& [name, gr] : g.items()) total += gr["throughput"]["forks_per_s"].get<double>();
  CHECK(r["throughput"]["forks_per_s"].get<double>() == Approx(total));
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
  CHECK(r["invariants"]["pids_after_drain"] == r["scenario"]["machine"]["system_procs"]);
  // And per group: every group's processes exited and were reaped.
  for (const auto& [name, gr] : g.items()) {
    INFO(name);
    CHECK(gr["invariants"]["drained"] == true);
    CHECK(gr["invariants"]["procs_after_drain"] == 0);
  }
}

// Each group draws from streams of its own index: the web server's
// arrivals are the same whether or not shells share its machine, so a
// comparison of the two sees the shells' effect, not other arrivals.
TEST_CASE("a group's arrivals do not move when another group joins it", "[groups][streams]") {
  json web = json::parse(R"({"name": "web", "type": "open", "rate_per_s": 3000, "parents": 8})");
  json shells = json::parse(R"({"name": "shells", "type": "closed", "parents": 32})");
  auto run = [](const json& groups) {
    json raw = {{"duration_s", 0.5}, {"warmup_s", 0.1}, {"workload", {{"groups", groups}}}};
    return forksim::test::run_forksim({"--set", "duration_s=0.5", "--set", "warmup_s=0.1",
                                       "--set", "workload=" + raw["workload"].dump()});
  };
  json alone = run(json::array({web})), together = run(json::array({web, shells}));
  const json& a = alone["groups"]["web"]["requests"];
  const json& b = together["groups"]["web"]["requests"];
  CHECK(a["offered"].get<uint64_t>() > 1000);
  CHECK(a["offered"] == b["offered"]);
  // ... while the shells did change how fast it was served.
  CHECK(a["latency_s"]["mean"] != b["latency_s"]["mean"]);
  CHECK(together["groups"]["shells"]["paths"]["fork1"]["successes"].get<uint64_t>() > 100);
}

// Write faults are the writing group's: a database that rewrites its 64 MB
// while its snapshot child lives, beside shells that write nothing. The
// machine's figure is the groups' sum.
TEST_CASE("a group's write faults are its own", "[groups][memory]") {
  json r = forksim::test::run_here(scenario(json::parse(R"({"duration_s": 0.6, "warmup_s": 0.1,
    "workload": {"groups": [
      {"name": "db", "type": "closed", "parents": 1, "think_s": 0.2,
       "parent": {"reserved_mb": 64, "writes_mb_per_s": 640, "reap": "before_next_fork"},
       "child": {"exec": false, "lifetime_s": 0.5}},
      {"name": "shells", "type": "closed", "parents": 8}]}})")));
  const json& db = r["groups"]["db"]["paths"]["fork1"]["write_faults"];
  const json& sh = r["groups"]["shells"]["paths"]["fork1"]["write_faults"];
  CHECK(db["faults"].get<uint64_t>() > 10000);
  CHECK(db["copies"].get<uint64_t>() > 0);
  CHECK(sh["faults"] == 0);
  CHECK(r["paths"]["fork1"]["write_faults"]["faults"] == db["faults"]);
  CHECK(r["invariants"]["cow_page_balance"] == 0);
}
