// The cost sensitivity (driver/sensitivity.hpp) on a fake runner whose
// metric is a known power of each cost, and `forksim sensitivity` on a
// small real scenario.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "driver/sensitivity.hpp"
#include "tests/support.hpp"

using forksim::CostEntry;
using forksim::PointRequest;
using forksim::scale_cost;
using forksim::SensitivityOptions;
using nlohmann::json;

namespace {

// m = 3 a^2 b^0 (c^1 with noise): the costs a request sets ("costs.a=125"),
// else a = 100, b = 50, c = 10; the noise is a factor (1 + 0.01 z(seed)),
// common to both runs of a replication as common random numbers make it.
std::vector<std::vector<json>> fake_points(const std::vector<PointRequest>& batch) {
  std::vector<std::vector<json>> out;
  for (const auto& r : batch) {
    std::map<std::string, double> cost = {{"a", 100}, {"b", 50}, {"c", 10}};
    for (const auto& s : r.sets) {
      REQUIRE(s.rfind("costs.", 0) == 0);
      auto eq = s.find('=');
      cost[s.substr(6, eq - 6)] = std::stod(s.substr(eq + 1));
    }
    std::vector<json> row;
    for (uint64_t seed : r.seeds) {
      double noise = 1 + 0.01 * std::sin(static_cast<double>(seed));
      row.push_back({{"m", 3 * cost["a"] * cost["a"] * cost["c"] * noise}, {"other", 1}});
    }
    out.push_back(row);
  }
  return out;
}

CostEntry entry(const std::string& name, double ns, const std::string& basis) {
  CostEntry c;
  c.step = name;
  c.value = ns;
  c.mean_ns = ns;
  c.basis = basis;
  c.basis_note = basis + ": a note";
  return c;
}

}  // namespace

// Arc elasticity of x^k at d: ((1+d)^k - (1-d)^k) / ((1+d)^k + (1-d)^k) / d;
// at d = 0.25, k = 2 gives 2 / (1 + d^2) = 1.882353, k = 1 gives 1, k = 0
// gives 0. The noise factor is the same at both costs of a replication, so
// it cancels and every replication gives the same value (half-width 0).
TEST_CASE("sensitivity: the elasticity of c a^2 b^0 is 2/(1+d^2) for a and 0 for b, ranked", "[sensitivity]") {
  SensitivityOptions opt;
  opt.metric = "m";
  opt.delta = 0.25;
  opt.replications = 4;
  opt.seed = 7;
  json r = forksim::sensitivity({entry("b", 50, "guess"), entry("a", 100, "measured"),
                                 entry("c", 10, "share"), entry("z", 0, "none")},
                                fake_points, opt);
  INFO(r.dump(1));
  CHECK(r["seeds"] == json::array({7, 8, 9, 10}));
  REQUIRE(r["costs"].size() == 3);
  const json& a = r["costs"][0];
  CHECK(a["cost"] == "a");
  CHECK(a["basis"] == "measured");
  CHECK(a["basis_note"] == "measured: a note");
  CHECK(a["cost_ns"] == 100);
  CHECK(a["elasticity"]["mean"].get<double>() == Approx(2 / (1 + 0.0625)).epsilon(1e-12));
  CHECK(a["elasticity"]["half_width"].get<double>() == Approx(0).margin(1e-12));
  CHECK(a["elasticity"]["n"] == 4);
  CHECK(a["low"]["mean"].get<double>() == Approx(3 * 75.0 * 75 * 10).epsilon(0.02));
  CHECK(a["high"]["mean"].get<double>() == Approx(3 * 125.0 * 125 * 10).epsilon(0.02));
  CHECK(r["costs"][1]["cost"] == "c");
  CHECK(r["costs"][1]["elasticity"]["mean"].get<double>() == Approx(1).epsilon(1e-12));
  CHECK(r["costs"][2]["cost"] == "b");
  CHECK(r["costs"][2]["basis"] == "guess");
  CHECK(r["costs"][2]["elasticity"]["mean"] == 0);
  CHECK(r["skipped"] == json::array({{{"cost", "z"}, {"reason", "its cost is 0: scaling it changes nothing"}}}));
  CHECK(r["baseline"]["mean"].get<double>() == Approx(3e5).epsilon(0.02));
}

TEST_CASE("sensitivity: an unknown metric is named with the nearest one", "[sensitivity]") {
  SensitivityOptions opt;
  opt.metric = "othr";
  CHECK(forksim::test::scenario_error_of([&] { forksim::sensitivity({entry("a", 100, "measured")}, fake_points, opt); }) == "--metric: unknown metric 'othr': not a numeric figure of the run report; did you mean \"other\"?");
}

// A cost's random variable is multiplied by the factor: its mean scales,
// a lognormal's cv (a ratio) does not.
TEST_CASE("sensitivity scales a cost's distribution consistently", "[sensitivity]") {
  CHECK(scale_cost(200, 1.25) == 250);
  CHECK(scale_cost({{"dist", "exponential"}, {"mean", 40}}, 0.75) ==
        json{{"dist", "exponential"}, {"mean", 30}});
  CHECK(scale_cost({{"dist", "uniform"}, {"min", 8}, {"max", 16}}, 1.25) ==
        json{{"dist", "uniform"}, {"min", 10}, {"max", 20}});
  CHECK(scale_cost({{"dist", "lognormal"}, {"mean", 100}, {"cv", 0.5}}, 0.75) ==
        json{{"dist", "lognormal"}, {"mean", 75}, {"cv", 0.5}});
  CHECK_THROWS_AS(scale_cost({{"dist", "pareto"}, {"mean", 1}}, 2), std::invalid_argument);
}

// One small real run: 8 shells forking on 4 CPUs for 0.3 s. The fork's
// own steps carry its latency: as_dup_page (per page of the parent's
// address space) and the fork's fixed costs must rank first with a
// nonzero elasticity; a step the scenario never takes (the failure path's
// forkerr) has none.
TEST_CASE("forksim sensitivity ranks the costs a real fork latency depends on", "[sensitivity][cli]") {
  forksim::test::TempDir d;
  auto r = forksim::test::run_cli(
      d, {"sensitivity", "capacity-shells", "--metric", "paths.fork1.latency_s.mean", "--costs",
          "forkerr,as_dup_page,getproc_copy,syscall_entry", "--replications", "2", "--jobs", "2",
          "--set", "duration_s=0.3", "--set", "warmup_s=0.1", "--set", "workload.parents=8",
          "--set", "machine.ncpus=4", "-o", "s.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  json j = json::parse(forksim::test::read_file(d / "s.json"));
  CHECK(j["kind"] == "sensitivity");
  CHECK(j["schema_version"] == 1);
  CHECK(j["delta"] == 0.25);
  REQUIRE(j["costs"].size() == 4);
  CHECK(j["costs"][0]["cost"] == "as_dup_page");
  CHECK(std::abs(j["costs"][0]["elasticity"]["mean"].get<double>()) > 0.05);
  CHECK(std::abs(j["costs"][1]["elasticity"]["mean"].get<double>()) > 0);
  CHECK(j["costs"][3]["cost"] == "forkerr");
  CHECK(j["costs"][3]["elasticity"]["mean"] == 0);
  for (const auto& c : j["costs"]) CHECK(c["basis"].is_string());
  CHECK(r.out.find("rank") != std::string::npos);
  CHECK(r.out.find("as_dup_page") != std::string::npos);
}

TEST_CASE("forksim sensitivity refuses bad options by name, exit 2", "[sensitivity][cli]") {
  forksim::test::TempDir d;
  auto expect = [&](std::vector<std::string> args, const std::string& message) {
    args.insert(args.begin(), "sensitivity");
    auto r = forksim::test::run_cli(d, args);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(message) != std::string::npos);
  };
  expect({"capacity-shells"}, "forksim sensitivity: --metric is required");
  expect({"capacity-shells", "--metric", "m", "--vary-costs", "150%"},
         "--vary-costs must be a fraction in (0, 1) or a percentage in (0%, 100%), got '150%'");
  expect({"capacity-shells", "--metric", "m", "--vary-costs", "0"}, "--vary-costs must be a fraction");
  expect({"capacity-shells", "--metric", "m", "--costs", "as_dup_pag"},
         "--costs: unknown step 'as_dup_pag'; `forksim explain` lists them; did you mean \"as_dup_page\"?");
  expect({"capacity-shells", "--metric", "m", "--replications", "0"},
         "--replications must be an integer from 1 to 100000, got '0'");
  expect({"capacity-shells", "--metric", "paths.fork1.latency_s.maen", "--costs", "as_dup_page",
          "--replications", "1", "--set", "duration_s=0.05", "--set", "warmup_s=0", "-o", "s.json"},
         "forksim: --metric: unknown metric 'paths.fork1.latency_s.maen': not a numeric figure of the "
         "run report; did you mean \"paths.fork1.latency_s.mean\"?");
  // Refused before anything ran or was written.
  CHECK(forksim::test::names_in(d.path).empty());
}

// Every cost at 0 and no think time: the shell's loop takes no simulated
// time, so the engine's livelock guard stops the baseline's run (exit 3 in
// the child, 2 million events at t = 0: about 2.5 s); the command exits 3
// naming the point and seed, and writes nothing.
TEST_CASE("forksim sensitivity exits 3 when a run stops early, naming it, nothing written", "[sensitivity][cli]") {
  forksim::test::TempDir d;
  auto r = forksim::test::run_cli(
      d, {"sensitivity", "--metric", "throughput.forks_per_s", "--replications", "1", "--costs",
          "syscall_entry", "--set", "costs={\"*\": 0}", "--set", "workload.think_s=0", "--set",
          "workload.child.lifetime_s=0", "--set", "duration_s=1", "--set", "workload.parents=1",
          "--set", "machine.ncpus=1", "--set", "tunables.max_nprocs=100", "--set",
          "tunables.reserved_procs=5", "-o", "s.json"});
  CHECK(r.status == 3);
  CHECK(r.err.rfind("forksim sensitivity: the run at the base scenario, seed 1 was stopped by a budget: "
                    "no progress in simulated time", 0) == 0);
  CHECK(r.err.find("; nothing written\n") != std::string::npos);
  CHECK(forksim::test::names_in(d.path).empty());
}
