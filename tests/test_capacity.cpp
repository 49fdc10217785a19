// The capacity answers on a sweep result (driver/capacity.hpp), on sweeps
// made of fake reports whose figures are known functions of the load.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "analysis/stats.hpp"
#include "analysis/usl.hpp"
#include "driver/capacity.hpp"
#include "tests/support.hpp"

using forksim::CapacityOptions;
using forksim::PointRequest;
using forksim::test::scenario_error_of;
using nlohmann::json;

namespace {

using LoadFigures = std::function<json(double load, uint64_t seed)>;

// A sweep object as the sweep command writes it (the design's shape), one
// key varied, `reps` replications at seeds 1, 2, ...
json sweep_of(const std::string& key, const std::vector<int>& values, int reps, const LoadFigures& f) {
  json points = json::array();
  json seeds = json::array();
  for (int i = 0; i < reps; ++i) seeds.push_back(1 + i);
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::vector<json> runs;
    for (int s = 0; s < reps; ++s) runs.push_back(f(values[i], 1 + s));
    json summary = forksim::summarise_metrics(runs);
    points.push_back({{"index", i},
                      {"overrides", {{key, values[i]}}},
                      {"sets", {key + "=" + std::to_string(values[i])}},
                      {"metrics", summary["metrics"]},
                      {"partial", summary["partial"]},
                      {"runs", runs}});
  }
  return {{"kind", "sweep"},
          {"scenario", {{"seed", 1}}},
          {"sweep", {{"vary", {{{"key", key}, {"values", values}}}}, {"seeds", seeds}}},
          {"points", points}};
}

forksim::PointRunner runner(const LoadFigures& f) {
  return [f](const std::vector<PointRequest>& batch) {
    std::vector<std::vector<json>> out;
    for (const auto& r : batch) {
      const std::string& s = r.sets.back();
      double x = std::stod(s.substr(s.find('=') + 1));
      std::vector<json> row;
      for (uint64_t seed : r.seeds) row.push_back(f(x, seed));
      out.push_back(row);
    }
    return out;
  };
}

// Throughput saturates at 10 parents, where pidlock is busy 0.95 of the
// time and the CPUs 0.6; a per-seed wobble of 0.1% gives each point an
// interval. Latency (p99) grows with parents: 1 ms a parent.
json shells(double p, uint64_t seed) {
  double wobble = 1 + 0.001 * std::sin(static_cast<double>(seed));
  return {{"throughput", {{"forks_per_s", 1000 * std::min(p, 10.0) * wobble}}},
          {"cpu", {{"utilization", 0.06 * std::min(p, 10.0)}}},
          {"locks",
           {{"pidlock", {{"utilization", 0.095 * std::min(p, 10.0)}, {"utilization_max", 0.095 * std::min(p, 10.0)}}},
            {"p_lock", {{"utilization", 0.3}, {"utilization_max", 0.01}}}}},
          {"paths", {{"fork1", {{"latency_s", {{"p99", 0.001 * p * wobble}}}}}}}};
}

}  // namespace

TEST_CASE("a sweep's knee is found with the bottleneck there", "[capacity]") {
  std::vector<int> parents;
  for (int p = 1; p <= 20; ++p) parents.push_back(p);
  json sweep = sweep_of("workload.parents", parents, 3, shells);
  forksim::add_capacity_answers(sweep, runner(shells), CapacityOptions{});
  const json& k = sweep["knee"];
  INFO(k.dump(1));
  CHECK(k["method"] == "Kneedle (Satopaa et al. 2011)");
  CHECK(k["found"] == true);
  CHECK(k["key"] == "workload.parents");
  CHECK(k["metric"] == "throughput.forks_per_s");
  CHECK(k["x"] == 10);
  CHECK(k["index"] == 9);
  CHECK(k["y"].get<double>() == Approx(10000).epsilon(0.001));
  CHECK(k["bottleneck"]["resource"] == "pidlock");
  CHECK(k["bottleneck"]["utilization"].get<double>() == Approx(0.95));
  CHECK(k["utilizations"]["cpu"].get<double>() == Approx(0.6));
  CHECK(k["utilizations"]["p_lock"].get<double>() == Approx(0.01));
  CHECK_FALSE(sweep.contains("usl"));  // not a sweep of machine.ncpus
  CHECK_FALSE(sweep.contains("slo"));
}

// p99 = 1 ms a parent <= 7.5 ms: parents up to 7 meet it.
TEST_CASE("a sweep's SLO answer is searched between its points", "[capacity]") {
  json sweep = sweep_of("workload.parents", {1, 4, 16}, 3, shells);
  CapacityOptions opt;
  opt.slo = "paths.fork1.latency_s.p99<=0.0075";
  forksim::add_capacity_answers(sweep, runner(shells), opt);
  const json& s = sweep["slo"];
  INFO(s.dump(1));
  CHECK(s["key"] == "workload.parents");
  CHECK(s["answer"] == 7);
  CHECK(s["interval"] == json::array({7, 8}));
  CHECK(s["decided"] == true);
  CHECK(s["objective"] == "paths.fork1.latency_s.p99<=0.0075");
}

// Throughput made by the USL with lambda 2000, sigma 0.03, kappa 0.0005:
// the fit gives them back and the peak at sqrt(0.97 / 0.0005) = 44.05 CPUs.
TEST_CASE("a sweep of machine.ncpus gets the USL fitted", "[capacity]") {
  auto usl = [](double n, uint64_t) {
    return json{{"throughput", {{"forks_per_s", forksim::usl_throughput(2000, 0.03, 0.0005, n)}}},
                {"cpu", {{"utilization", 0.5}}}};
  };
  json sweep = sweep_of("machine.ncpus", {1, 2, 4, 8, 16, 32, 64}, 2, usl);
  forksim::add_capacity_answers(sweep, runner(usl), CapacityOptions{});
  const json& u = sweep["usl"];
  INFO(u.dump(1));
  CHECK(u["metric"] == "throughput.forks_per_s");
  CHECK(u["lambda"].get<double>() == Approx(2000).epsilon(1e-6));
  CHECK(u["sigma"].get<double>() == Approx(0.03).epsilon(1e-6));
  CHECK(u["kappa"].get<double>() == Approx(0.0005).epsilon(1e-6));
  CHECK(u["r2"].get<double>() == Approx(1));
  CHECK(u["peak_ncpus"].get<double>() == Approx(std::sqrt(0.97 / 0.0005)).epsilon(1e-6));
  CHECK(u["method"] == "GSL nonlinear least squares (gsl_multifit_nlinear, trust region)");

  json small = sweep_of("machine.ncpus", {4, 8}, 2, usl);
  forksim::add_capacity_answers(small, runner(usl), CapacityOptions{});
  CHECK(small["usl"]["fitted"] == false);
  CHECK(small["usl"]["reason"] == "USL fit: needs at least 3 distinct CPU counts (it has 3 parameters), got 2");
  CHECK(small["knee"]["reason"] == "a knee needs at least 3 points, got 2");
}

TEST_CASE("capacity answers refuse what they cannot answer, by name", "[capacity]") {
  json sweep = sweep_of("workload.parents", {1, 2, 3}, 2, shells);
  sweep["sweep"]["vary"].push_back({{"key", "machine.ncpus"}, {"values", {2, 4}}});
  CapacityOptions opt;
  forksim::add_capacity_answers(sweep, runner(shells), opt);
  CHECK(sweep["knee"]["found"] == false);
  CHECK(sweep["knee"]["reason"] == "the knee needs one varied key, the load; this sweep varies 2");
  opt.slo = "paths.fork1.latency_s.p99<=0.005";
  CHECK(scenario_error_of([&] { forksim::check_capacity_options(sweep["sweep"], opt); }) ==
        "--slo: the SLO search needs one varied key, the load; this sweep varies 2");

  json one = sweep_of("workload.parents", {1, 2, 3}, 2, shells);
  opt.slo = "paths.fork1.latency_s.p99<0.005";
  CHECK(scenario_error_of([&] { forksim::add_capacity_answers(one, runner(shells), opt); }) ==
        "--slo: expected METRIC<=BOUND or METRIC>=BOUND, got 'paths.fork1.latency_s.p99<0.005'");
  opt.slo = "paths.fork1.latency_s.p90<=0.005";
  CHECK(scenario_error_of([&] { forksim::add_capacity_answers(one, runner(shells), opt); }) ==
        "--slo: unknown metric 'paths.fork1.latency_s.p90': not a numeric figure of the run report; "
        "did you mean \"paths.fork1.latency_s.p99\"?");
  CapacityOptions bad_metric;
  bad_metric.metric = "throughput.fork_per_s";
  CHECK(scenario_error_of([&] { forksim::add_capacity_answers(one, runner(shells), bad_metric); }) ==
        "--metric: unknown metric 'throughput.fork_per_s': not a numeric figure of the run report; "
        "did you mean \"throughput.forks_per_s\"?");
}
