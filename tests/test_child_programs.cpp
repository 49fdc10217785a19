// Children as programs: a child may fork children of its own (child.forks,
// a shell running commands one after another), to at most eight levels
// below the workload's parent; every child inherits its parent's uid and
// scheduling class.
#include <catch2/catch.hpp>

#include <string>

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

// A child spec that forks `count` children of `child`.
json forking(int count, json child = json::object()) {
  return {{"exec", false}, {"lifetime_s", 0}, {"forks", {{"count", count}, {"child", child}}}};
}

}  // namespace

TEST_CASE("a child that forks makes a tree: 1 + 2 + 2 x 3 forks per parent fork",
          "[children][model]") {
  // One parent forks once at 0.5 s (it thinks 0.5 s between forks, and the
  // window ends at 1 s); its child forks 2, each of which forks 3.
  json raw = {{"duration_s", 1}, {"warmup_s", 0},
              {"workload", {{"type", "closed"}, {"parents", 1}, {"think_s", 0.5},
                            {"child", forking(2, forking(3, {{"exec", false}, {"lifetime_s", 0}}))}}}};
  json r = run_here(scenario(raw));
  const json& f = r["paths"]["fork1"];
  CHECK(f["attempts"] == 9);
  CHECK(f["successes"] == 9);
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["pids_after_drain"] == r["scenario"]["machine"]["system_procs"]);
  // Resolved, the tree reads back the same.
  CHECK(r["scenario"]["workload"]["child"]["forks"]["child"]["forks"]["count"] == 3);
}

TEST_CASE("a tree's children are their parent's uid: maxuprc stops its third level",
          "[children][model]") {
  // uid 100 may have 3 processes: the parent, its child and a grandchild;
  // the grandchild's fork fails on the per-user limit.
  json leaf = {{"exec", false}, {"lifetime_s", 0}};
  json raw = {{"duration_s", 1}, {"warmup_s", 0}, {"tunables", {{"maxuprc", 3}}},
              {"workload", {{"type", "closed"}, {"parents", 1}, {"think_s", 0.5},
                            {"child", forking(1, forking(1, leaf))}}}};
  json r = run_here(scenario(raw));
  const json& f = r["paths"]["fork1"];
  CHECK(f["attempts"] == 3);
  CHECK(f["successes"] == 2);
  CHECK(f["failures"]["EAGAIN"] == 1);
  CHECK(r["backoff"]["by_reason"]["per-user limit"] == 1);
}

TEST_CASE("a tree's children keep their parent's class: RT grandchildren starve a TS victim",
          "[children][model]") {
  // On one CPU an RT parent's child forks a CPU-bound grandchild; the TS
  // victim, which would preempt TS work, never runs once it is there.
  json hog = {{"exec", false}, {"lifetime_s", 0}, {"cpu_s", 1000}};
  json groups = json::array(
      {{{"name", "rt"}, {"type", "closed"}, {"parents", 1}, {"think_s", 0.1},
        {"parent", {{"class", "RT"}}}, {"child", forking(1, hog)}},
       {{"name", "victim"}, {"type", "interactive"}, {"period_s", 0.1}, {"cpu_s", 0.001}}});
  json raw = {{"duration_s", 2}, {"warmup_s", 1}, {"machine", {{"ncpus", 1}}},
              {"workload", {{"groups", groups}}}};
  json r = run_here(scenario(raw));
  CHECK(r["groups"]["rt"]["paths"]["fork1"]["successes"] == 0);  // both forks before the window
  CHECK(r["groups"]["victim"]["response_s"]["count"] == 0);
  CHECK(r["cpu"]["utilization"].get<double>() == Approx(1.0));
}

TEST_CASE("a tree's mistakes name the key", "[children][scenario]") {
  json leaf = json::object();
  json deep = leaf;
  for (int i = 0; i < 7; ++i) deep = forking(1, deep);  // levels 1..8: the limit
  CHECK(scenario_error({{"workload", {{"child", deep}}}}) == "(no error)");
  std::string key = "workload.child";
  for (int i = 0; i < 7; ++i) key += ".forks.child";
  CHECK_THAT(scenario_error({{"workload", {{"child", forking(1, deep)}}}}),
             Contains(key + ".forks: too deep: children fork to at most 8 levels below the "
                            "workload's parent, and this child is at level 8"));
  CHECK_THAT(scenario_error({{"workload", {{"child", {{"forks", {{"child", leaf}}}}}}}}),
             Contains("workload.child.forks.count: missing: how many children this child forks"));
  CHECK_THAT(scenario_error({{"workload", {{"child", {{"forks", {{"count", -1}}}}}}}}),
             Contains("workload.child.forks.count: must be between 0 and 1000000, got -1"));
  CHECK_THAT(scenario_error({{"workload", {{"child", {{"forks", {{"count", 1}, {"kids", leaf}}}}}}}}),
             Contains("workload.child.forks.kids: unknown key"));
  CHECK_THAT(scenario_error({{"workload", {{"path", "vfork"}, {"child", forking(1)}}}}),
             Contains("workload.child.forks: a child of a vfork workload forks only after it "
                      "execs: set workload.child.exec to true"));
}

TEST_CASE("forksim run refuses a tree nine levels deep, exit 2", "[children][cli]") {
  json deep = json::object();
  for (int i = 0; i < 9; ++i) deep = forking(1, deep);
  TempDir d;
  auto r = run_cli(d, {"run", "--quiet", "--set", "workload.child=" + deep.dump(), "-o", "r.json"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains(".forks: too deep: children fork to at most 8 levels"));
  CHECK_FALSE(std::filesystem::exists(d / "r.json"));
}
