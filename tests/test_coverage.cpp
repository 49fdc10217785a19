// Coverage of the replicated run's 95% interval: an M/M/1 queue (a
// service with one worker, exponential service of mean S = 1 ms, Poisson
// arrivals at 500/s, so rho = 0.5, free costs and CPUs to spare so that
// nothing but the queue delays a request) has the mean response
// S / (1 - rho) = 2 ms. Over 100 replicated runs of 5 replications each
// (500 runs, seeds 1000 to 1499, through the driver with 2 jobs), the
// Student-t interval of the mean response must hold 2 ms in 90 to 99 of
// them (95 expected; the binomial's sd is 2.2). Each run is 20 simulated s
// (about 10,000 requests) after a warm-up of 0.2 s, some 20 relaxation
// times of the queue, so the bias of a run's mean (its start is empty) is
// far below its standard error (about 2%). A z interval (1.96 for 2.776)
// covers about 88% at n = 5; with these seeds it holds the mean in 89 of
// the 100, the t interval in 94.
#include <catch2/catch.hpp>

#include <iostream>

#include "cli/run_one.hpp"
#include "driver/replicate.hpp"

using nlohmann::json;

TEST_CASE("the 95% interval over replications of an M/M/1 queue covers its mean response 90-99% of the time",
          "[replications][coverage][long]") {
  const double S = 1e-3, lambda = 500, theory = S / (1 - lambda * S);
  json raw = {{"duration_s", 20},
              {"warmup_s", 0.2},
              {"timeseries_s", 5},
              {"machine", {{"ncpus", 8}}},
              {"costs", {{"*", 0}}},
              {"workload",
               {{"type", "service"},
                {"rate_per_s", lambda},
                {"service_s", {{"dist", "exponential"}, {"mean", S}}},
                {"parent", {{"lwps", 1}}}}}};
  constexpr int kIntervals = 100, kReps = 5;
  std::vector<forksim::PointSpec> points;
  for (int k = 0; k < kIntervals; ++k)
    points.push_back({raw, "interval " + std::to_string(k),
                      forksim::replication_seeds(1000 + kReps * k, kReps), 0});
  forksim::ExperimentContext ctx;
  ctx.jobs = 2;
  ctx.sim.run = [](const forksim::Scenario& s) { return forksim::run_one(s, forksim::RunBudgets{}, std::cerr); };
  ctx.sim.exit_status = [](const json& r) { return r["complete"] == true ? 0 : 3; };
  forksim::StopRule rule;
  rule.replications = kReps;
  forksim::Outcome o = forksim::run_points(points, rule, ctx);
  INFO(o.message);
  REQUIRE(o.status == 0);
  int covered = 0, covered_z = 0;
  for (const forksim::PointResult& p : o.points) {
    json m = forksim::point_json(p, rule, 2)["metrics"]["requests.latency_s.mean"];
    REQUIRE(m["n"] == kReps);
    double mean = m["mean"], hw = m["half_width"], sd = m["sd"];
    covered += std::abs(mean - theory) <= hw;
    covered_z += std::abs(mean - theory) <= 1.96 * sd / std::sqrt(kReps);
  }
  CAPTURE(covered, covered_z);
  CHECK(covered >= 90);
  CHECK(covered <= 99);
}
