// Replications over the child pool (driver/replicate.hpp): seeds s + i,
// the result's shape, the same answer whatever --jobs, sequential stopping,
// and what a failed, budget-stopped or interrupted replication does; by
// the command line and, with a made-up simulator, by the driver itself.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include "analysis/stats.hpp"
#include "driver/pool_point_runner.hpp"
#include "driver/progress.hpp"
#include "driver/replicate.hpp"
#include "tests/support.hpp"

using forksim::test::read_file;
using forksim::test::run_cli;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

// A made-up simulation: its figures follow from the seed alone.
forksim::Simulator fake(const std::function<json(uint64_t)>& f = {}) {
  forksim::Simulator s;
  s.run = [f](const forksim::Scenario& sc) {
    if (f) return f(sc.seed);
    double x = 100 + static_cast<double>((sc.seed * 7919) % 13);
    return json{{"seed", sc.seed}, {"complete", true}, {"throughput", {{"forks_per_s", x}}}};
  };
  s.exit_status = [](const json& r) { return r.value("complete", false) ? 0 : 3; };
  return s;
}

forksim::ExperimentContext context(int jobs, forksim::Simulator sim = fake()) {
  forksim::ExperimentContext c;
  c.sim = std::move(sim);
  c.jobs = jobs;
  return c;
}

forksim::PointSpec spec(uint64_t seed, std::size_t n) {
  return {json{{"seed", seed}}, "", forksim::replication_seeds(seed, n), 0};
}

const std::vector<std::string> kShortReplicated = {"--set", "duration_s=0.3", "--set", "timeseries_s=0.1"};

}  // namespace

TEST_CASE("replication i runs at seed s + i, wrapping at 2^64", "[replications]") {
  CHECK(forksim::replication_seeds(7, 3) == std::vector<uint64_t>{7, 8, 9});
  CHECK(forksim::replication_seeds(UINT64_MAX, 2) == std::vector<uint64_t>{UINT64_MAX, 0});
}

TEST_CASE("forksim run --replications 3 keeps each replication's report, equal to the run at its seed",
          "[replications][cli]") {
  TempDir d;
  auto r = run_cli(d, forksim::test::concat({"run", "--replications", "3", "--seed", "7", "-o", "r.json"}, kShortReplicated));
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("replications: 3 (seeds 7 to 9)") == 0);
  CHECK(r.out.find("throughput.forks_per_s: ") != std::string::npos);
  json j = json::parse(read_file(d / "r.json"));
  CHECK(j["kind"] == "replicated");
  CHECK(j["schema_version"] == 1);
  CHECK(j["complete"] == true);
  CHECK(j["replications"]["n"] == 3);
  CHECK(j["replications"]["seeds"] == json{7, 8, 9});
  CHECK(j["replications"]["seed_rule"] == "replication i runs with seed + i");
  CHECK(j["replications"]["stopped"] == json{{"reason", "asked"}});
  REQUIRE(j["runs"].size() == 3);
  CHECK(j["scenario"]["seed"] == 7);
  const json& m = j["metrics"]["throughput.forks_per_s"];
  CHECK(m["n"] == 3);
  CHECK(m["df"] == 2);
  std::vector<double> xs;
  for (const json& run : j["runs"]) xs.push_back(run["throughput"]["forks_per_s"]);
  CHECK(m["mean"].get<double>() == Approx((xs[0] + xs[1] + xs[2]) / 3));
  CHECK(m["half_width"].get<double>() == Approx(forksim::t_interval(xs).half_width.value()));
  // Replication 1 alone: forksim run --seed 8.
  json alone = forksim::test::run_forksim(forksim::test::concat({"--seed", "8"}, kShortReplicated));
  CHECK(j["runs"][1]["seed"] == 8);
  CHECK(forksim::numeric_metrics(j["runs"][1]) == forksim::numeric_metrics(alone));
}

TEST_CASE("a replicated run gives the same result with one job or two", "[replications][cli]") {
  TempDir d;
  std::vector<std::string> args =
      forksim::test::concat({"run", "--precision", "0.01", "--max-replications", "9", "-q"}, kShortReplicated);
  auto one = run_cli(d, forksim::test::concat(args, {"--jobs", "1", "-o", "one.json"}));
  auto two = run_cli(d, forksim::test::concat(args, {"--jobs", "2", "-o", "two.json"}));
  REQUIRE(one.status == 0);
  REQUIRE(two.status == 0);
  json a = json::parse(read_file(d / "one.json")), b = json::parse(read_file(d / "two.json"));
  CHECK(a["replications"]["jobs"] == 1);
  CHECK(b["replications"]["jobs"] == 2);
  a["replications"].erase("jobs");
  b["replications"].erase("jobs");
  CHECK(a["replications"] == b["replications"]);
  CHECK(a["metrics"].dump() == b["metrics"].dump());
  REQUIRE(a["runs"].size() == b["runs"].size());
  for (std::size_t i = 0; i < a["runs"].size(); ++i)
    CHECK(forksim::numeric_metrics(a["runs"][i]) == forksim::numeric_metrics(b["runs"][i]));
}

TEST_CASE("with --precision a replicated run stops when the target is met, or at --max-replications", "[replications][cli]") {
  TempDir d;
  auto easy = run_cli(d, forksim::test::concat({"run", "--precision", "0.5", "-o", "e.json"}, kShortReplicated));
  REQUIRE(easy.status == 0);
  json e = json::parse(read_file(d / "e.json"));
  CHECK(e["replications"]["n"] == 5);  // the fewest it judges on
  CHECK(e["replications"]["stopped"]["reason"] == "precision reached");
  CHECK(e["replications"]["stopped"]["metric"] == "throughput.forks_per_s");
  CHECK(e["replications"]["stopped"]["target"] == 0.5);
  CHECK(e["replications"]["stopped"]["rel_half_width"].get<double>() <= 0.5);
  CHECK(easy.out.find("stopped: precision reached") != std::string::npos);

  auto hard = run_cli(d, forksim::test::concat({"run", "--precision", "1e-9", "--max-replications", "6",
                                                "--metric", "paths.fork1.latency_s.mean", "-q", "-o", "h.json"},
                                               kShortReplicated));
  REQUIRE(hard.status == 0);
  json h = json::parse(read_file(d / "h.json"));
  CHECK(h["replications"]["n"] == 6);
  CHECK(h["replications"]["seeds"] == json{1, 2, 3, 4, 5, 6});
  CHECK(h["replications"]["stopped"]["reason"] == "max replications");
  CHECK(h["replications"]["stopped"]["metric"] == "paths.fork1.latency_s.mean");
  CHECK(h["replications"]["stopped"]["rel_half_width"].get<double>() > 1e-9);
}

TEST_CASE("bad replication options exit 2 naming the option", "[replications][cli]") {
  TempDir d;
  auto bad_metric = run_cli(d, forksim::test::concat({"run", "--precision", "0.1", "--metric",
                                                      "throughput.fork_per_s", "-o", "x.json"}, kShortReplicated));
  CHECK(bad_metric.status == 2);
  CHECK(bad_metric.err.find("--metric: unknown metric \"throughput.fork_per_s\"") != std::string::npos);
  CHECK(bad_metric.err.find("did you mean \"throughput.forks_per_s\"?") != std::string::npos);
  auto zero = run_cli(d, {"run", "--replications", "0"});
  CHECK(zero.status == 2);
  CHECK(zero.err == "forksim: --replications: must be an integer from 1 to 100000, got 0\n");
  auto jobs = run_cli(d, {"run", "--replications", "2", "--jobs", "two"});
  CHECK(jobs.status == 2);
  CHECK(jobs.err == "forksim run: --jobs must be an integer from 1 to 4096, got 'two'\n");
  auto jobs_alone = run_cli(d, {"run", "--jobs", "2"});
  CHECK(jobs_alone.status == 2);
  CHECK(jobs_alone.err == "forksim run: --jobs goes with --replications or --precision\n");
  auto metric_alone = run_cli(d, {"run", "--replications", "2", "--metric", "cpu.utilization"});
  CHECK(metric_alone.status == 2);
  CHECK(metric_alone.err == "forksim run: --metric goes with --precision\n");
  CHECK(forksim::test::names_in(d.path) == std::set<std::string>{});
}

TEST_CASE("replications stopped by a budget exit 3 with a result marked incomplete", "[replications][cli]") {
  TempDir d;
  auto r = run_cli(d, {"run", "--replications", "3", "--max-wall-s", "0.000001", "-q", "-o", "r.json",
                       "--set", "duration_s=5"});
  CHECK(r.status == 3);
  CHECK(r.err.find("forksim run: stopped early: the run at seed ") == 0);
  CHECK(r.err.find("was stopped by a budget: wall time") != std::string::npos);
  json j = json::parse(read_file(d / "r.json"));
  CHECK(j["complete"] == false);
  CHECK(j["replications"]["stopped"]["reason"] == "budget");
}

TEST_CASE("the driver answers in seed order whatever the jobs, and names a failed run's seed",
          "[replications][driver]") {
  forksim::StopRule rule;
  rule.replications = 2;
  rule.precision = forksim::Precision{0.001, "throughput.forks_per_s", 12};
  std::vector<std::string> orders;
  for (int jobs : {1, 3}) {
    forksim::Outcome o = forksim::run_points({spec(40, 12)}, rule, context(jobs));
    REQUIRE(o.status == 0);
    const forksim::PointResult& r = o.points[0];
    CHECK(r.decided);
    CHECK(r.stopped.reason == "max replications");
    REQUIRE(r.runs.size() == 12);
    for (std::size_t i = 0; i < r.runs.size(); ++i) CHECK(r.runs[i]["seed"] == 40 + i);
    orders.push_back(json(r.runs).dump());
  }
  CHECK(orders[0] == orders[1]);

  auto failing = fake([](uint64_t seed) -> json {
    if (seed == 42) throw std::runtime_error("boom");
    return json{{"complete", true}};
  });
  forksim::PointSpec p = spec(40, 5);
  p.label = "point 3 (a=1)";
  forksim::StopRule five;
  five.replications = 5;
  forksim::Outcome o = forksim::run_points({p}, five, context(2, failing));
  CHECK(o.status == 1);
  CHECK(o.message == "the run at point 3 (a=1), seed 42 failed: boom");
  CHECK_FALSE(o.points[0].decided);
}

TEST_CASE("an interrupted experiment forwards the signal, keeps what was decided and says so",
          "[replications][driver]") {
  // Point 0's runs are quick, point 1's wait for a signal; the flag is
  // raised once point 0 is decided. The signal forwarded is SIGKILL here:
  // this test process's children have Catch's handlers, not forksim's.
  bool flag = false;
  auto sim = fake([](uint64_t seed) -> json {
    if (seed >= 100) pause();  // until the forwarded signal kills it
    return json{{"complete", true}, {"x", seed}};
  });
  forksim::ExperimentContext c = context(2, sim);
  c.interrupted = [&flag] { return flag; };
  c.interrupt_signal = [] { return SIGKILL; };
  forksim::StopRule two;
  two.replications = 2;
  std::vector<std::size_t> decided;
  forksim::Outcome o = forksim::run_points({spec(1, 2), spec(100, 2)}, two, c,
                                           [&](std::size_t i, const forksim::PointResult&) {
                                             decided.push_back(i);
                                             flag = true;
                                           });
  CHECK(o.status == 128 + SIGKILL);
  CHECK(o.message == "interrupted by signal 9");
  CHECK(decided == std::vector<std::size_t>{0});
  CHECK(o.points[0].decided);
  CHECK(o.points[0].runs.size() == 2);
  CHECK_FALSE(o.points[1].decided);
  CHECK(o.points[1].stopped.reason == "interrupted");
}

TEST_CASE("the pool's PointRunner answers a batch in the order asked and names a bad point",
          "[replications][driver]") {
  forksim::PointRunner run = forksim::pool_point_runner(json::object(), context(2));
  auto reports = run({{{"machine.ncpus=2"}, {5, 9}}, {{}, {}}, {{"machine.ncpus=4"}, {3}}});
  REQUIRE(reports.size() == 3);
  REQUIRE(reports[0].size() == 2);
  CHECK(reports[0][0]["seed"] == 5);
  CHECK(reports[0][1]["seed"] == 9);
  CHECK(reports[1].empty());
  REQUIRE(reports[2].size() == 1);
  CHECK(reports[2][0]["seed"] == 3);
  CHECK_THROWS_WITH(run({{{"machine.ncpus=0"}, {1}}}),
                    "point (machine.ncpus=0): machine.ncpus: must be between 1 and 4096, got 0");
}

TEST_CASE("the progress line says runs done of expected, the half-width against its target, an ETA",
          "[replications]") {
  forksim::Progress p;
  p.runs_done = 3;
  p.runs_planned = 12;
  p.points = 1;
  p.rel_half_width = 0.031;
  p.target = 0.02;
  p.elapsed_s = 12;
  CHECK(forksim::progress_line(p) == "runs 3/12, half-width 3.1% (target 2.0%), 12 s, ETA 36 s");
  p.points = 40;
  p.points_done = 2;
  p.target = -1;
  p.runs_done = 0;
  CHECK(forksim::progress_line(p) == "runs 0/12, points 2/40, 12 s");
}
