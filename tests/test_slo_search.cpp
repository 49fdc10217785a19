// The SLO search (driver/slo_search.hpp) over fake runners whose metric is a
// known function of the load, so that the answer is known.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "driver/slo_search.hpp"
#include "tests/support.hpp"

using forksim::Objective;
using forksim::parse_objective;
using forksim::PointRequest;
using forksim::PointRunner;
using forksim::SloOptions;
using forksim::SloPoint;
using forksim::SloProblem;
using forksim::test::scenario_error_of;
using nlohmann::json;

namespace {

double load_of(const PointRequest& r) {
  const std::string& s = r.sets.back();
  REQUIRE(s.rfind("load=", 0) == 0);
  return std::stod(s.substr(5));
}

// A runner whose report is {"m": f(load) + sd z}, z standard normal drawn
// from the seed and the load (a run is a function of its scenario and
// seed). It logs every request.
struct FakeRunner {
  std::function<double(double)> f;
  double sd = 0;
  std::vector<PointRequest> log{};

  json report(double x, uint64_t seed) const {
    std::mt19937_64 g(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(std::llround(x * 1000)));
    double u1 = (g() >> 11) * 0x1.0p-53, u2 = (g() >> 11) * 0x1.0p-53;
    double z = std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * M_PI * u2);
    return {{"m", f(x) + sd * z}};
  }
  PointRunner runner() {
    return [this](const std::vector<PointRequest>& batch) {
      std::vector<std::vector<json>> out;
      for (const auto& r : batch) {
        log.push_back(r);
        std::vector<json> row;
        for (uint64_t s : r.seeds) row.push_back(report(load_of(r), s));
        out.push_back(row);
      }
      return out;
    };
  }
  // A sweep point at x with replications 0..n-1 (seed 1 + i).
  SloPoint point(double x, int n) const {
    SloPoint p;
    p.x = x;
    for (int i = 0; i < n; ++i) p.runs.push_back(report(x, 1 + i));
    return p;
  }
};

SloProblem problem(const FakeRunner& fr, std::vector<double> xs, int reps, bool integer = true) {
  SloProblem pb;
  pb.key = "load";
  pb.integer_key = integer;
  pb.seed = 1;
  for (double x : xs) pb.points.push_back(fr.point(x, reps));
  return pb;
}

}  // namespace

// m = load / 100 exactly (no noise: every interval has width 0), objective
// m <= 1: the answer is load 100, which meets (m = 1 is within the bound),
// with 101 failing. Integer load, so the bracket closes at width 1.
TEST_CASE("the SLO search bisects to the exact answer of a noise-free metric", "[slo]") {
  FakeRunner fr{[](double x) { return x / 100; }};
  SloOptions opt;
  opt.max_points = 20;
  json r = forksim::slo_search(parse_objective("m<=1"), problem(fr, {25, 50, 75, 125, 150}, 3),
                               fr.runner(), opt);
  INFO(r.dump(1));
  CHECK(r["answer"] == 100);
  CHECK(r["highest_meeting"] == 100);
  CHECK(r["lowest_failing"] == 101);
  CHECK(r["interval"] == json::array({100, 101}));
  CHECK(r["decided"] == true);
  CHECK(r["reason"] == "bracketed within the tolerance");
  // 75..125: 100, 112, 106, 103, 101 (then [100, 101] is closed).
  CHECK(r["points_added"] == 5);
  CHECK(r["replications_added"] == 15);
  CHECK(r["confidence"] == 0.95);
  CHECK(r["key"] == "load");
  CHECK(r["direction"] == "harder");
  CHECK(r["lowest_meeting"].is_null());
  // Every new point ran replications 0..2 at seeds 1, 2, 3: the sweep's.
  for (const auto& req : fr.log) CHECK(req.seeds == std::vector<uint64_t>{1, 2, 3});
}

// A resource: m = 100 / x (a latency that falls as CPUs are added), so the
// objective m <= 1 gets easier as the key grows, and the answer is the
// lowest value meeting it, 100, with 99 failing; likewise a throughput
// m = x with m >= 100. The search runs at the key's own values, never
// their negation, and the evidence is in the key's order.
TEST_CASE("for a key that makes the objective easier, the SLO answer is the lowest value meeting it",
          "[slo]") {
  for (const char* objective : {"m<=1", "m>=100"}) {
    FakeRunner fr{std::string(objective) == "m<=1" ? std::function<double(double)>([](double x) { return 100 / x; })
                                                   : [](double x) { return x; }};
    SloOptions opt;
    opt.max_points = 20;
    json r = forksim::slo_search(parse_objective(objective), problem(fr, {25, 50, 75, 125, 150}, 3),
                                 fr.runner(), opt);
    INFO(objective << " " << r.dump(1));
    CHECK(r["direction"] == "easier");
    CHECK(r["answer"] == 100);
    CHECK(r["lowest_meeting"] == 100);
    CHECK(r["highest_failing"] == 99);
    CHECK(r["highest_meeting"].is_null());
    CHECK(r["lowest_failing"].is_null());
    CHECK(r["interval"] == json::array({99, 100}));
    CHECK(r["decided"] == true);
    CHECK(r["reason"] == "bracketed within the tolerance");
    for (const auto& req : fr.log) CHECK(load_of(req) > 75);
    for (const auto& req : fr.log) CHECK(load_of(req) < 125);
    double last = 0;
    for (const auto& p : r["points"]) {
      CHECK(p["x"].get<double>() > last);
      last = p["x"].get<double>();
    }
  }
  // Failing at the most of the resource swept is said in its words.
  FakeRunner fr{[](double x) { return 1000 / x; }};
  SloProblem cpus = problem(fr, {25, 50, 150}, 3);
  cpus.key = "machine.ncpus";  // no run is needed: every point fails outright
  json r = forksim::slo_search(parse_objective("m<=1"), cpus, fr.runner());
  CHECK(r["direction"] == "easier");
  CHECK(r["answer"].is_null());
  CHECK(r["highest_failing"] == 150);
  CHECK(r["reason"] == "the objective fails at the highest machine.ncpus swept");
  CHECK(fr.log.empty());
}

// With noise (sd 0.05 in m, i.e. 5 loads) the search can only place the
// boundary to within the replications' resolution: at 10 replications the
// half-width is t(0.975, 9) 0.05 / sqrt(10) = 0.036, so loads within about
// 3.6 of 100 stay undecided. The answer must be a load that truly meets
// (<= 100) and not far below it, and the interval [L, F] must hold 100 and
// be about that undecided zone wide, plus the two edges' tolerances of 2%.
TEST_CASE("the SLO search brackets the answer through noise, adding replications", "[slo]") {
  FakeRunner fr{[](double x) { return x / 100; }, 0.05};
  SloOptions opt;
  opt.max_points = 12;
  json r = forksim::slo_search(parse_objective("m <= 1.0"), problem(fr, {25, 50, 75, 125, 150}, 2),
                               fr.runner(), opt);
  INFO(r.dump(1));
  REQUIRE(r["answer"].is_number());
  double answer = r["answer"], hi = r["interval"][1];
  CHECK(answer <= 100);
  CHECK(answer >= 90);
  CHECK(hi >= 100);
  CHECK(hi - answer <= 12);
  CHECK(r["replications_added"].get<int>() > 3 * r["points_added"].get<int>());
  // The sweep's points had 2 replications: each was doubled to at least 3
  // (the minimum), with seeds continuing from 3 (seed + i).
  bool extended = false;
  for (const auto& req : fr.log)
    if (req.seeds.front() == 3) extended = true;
  CHECK(extended);
  for (const auto& p : r["points"]) CHECK(p["n"].get<int>() <= opt.max_replications);
}

// ">=": m = 10 - load / 10 >= 5 holds up to load 50.
TEST_CASE("the SLO search handles an objective with >=", "[slo]") {
  FakeRunner fr{[](double x) { return 10 - x / 10; }};
  SloOptions opt;
  opt.max_points = 20;
  json r = forksim::slo_search(parse_objective("m>=5"), problem(fr, {10, 30, 70, 90}, 3), fr.runner(), opt);
  CHECK(r["answer"] == 50);
  CHECK(r["decided"] == true);
}

// A real-valued load: the bracket closes at 2% of its upper end.
TEST_CASE("the SLO search stops at 2% of the load for a real-valued key", "[slo]") {
  FakeRunner fr{[](double x) { return x * x; }};
  json r = forksim::slo_search(parse_objective("m<=2"), problem(fr, {0.5, 1, 3}, 3, false), fr.runner());
  INFO(r.dump(1));
  double lo = r["interval"][0], hi = r["interval"][1];
  CHECK(lo <= std::sqrt(2.0));
  CHECK(hi >= std::sqrt(2.0));
  CHECK(hi - lo <= 0.02 * hi);
  CHECK(r["decided"] == true);
}

TEST_CASE("the SLO search says when the answer is outside the sweep", "[slo]") {
  FakeRunner fr{[](double x) { return x / 100; }};
  json fails = forksim::slo_search(parse_objective("m<=0.1"), problem(fr, {20, 40}, 3), fr.runner());
  CHECK(fails["answer"].is_null());
  CHECK(fails["lowest_failing"] == 20);
  CHECK(fails["decided"] == true);
  CHECK(fails["reason"] == "the objective fails at the lowest load swept");
  CHECK(fails["points_added"] == 0);

  json meets = forksim::slo_search(parse_objective("m<=10"), problem(fr, {20, 40}, 3), fr.runner());
  CHECK(meets["answer"] == 40);
  CHECK(meets["lowest_failing"].is_null());
  CHECK(meets["interval"] == json::array({40, nullptr}));
  CHECK(meets["decided"] == false);
  CHECK(meets["reason"] ==
        "the objective is met at every load swept; the highest meeting load is above the range");
}

TEST_CASE("the SLO search stops at its budget of points", "[slo]") {
  FakeRunner fr{[](double x) { return x / 100; }};
  SloOptions opt;
  opt.max_points = 2;
  json r = forksim::slo_search(parse_objective("m<=1"), problem(fr, {0, 1000}, 3), fr.runner(), opt);
  CHECK(r["points_added"] == 2);
  CHECK(r["decided"] == false);
  CHECK(r["reason"] == "the budget of 2 new points was spent before the bracket came within the tolerance");
  // 500 fails, 250 fails: the bracket is [0, 250].
  CHECK(r["interval"] == json::array({0, 250}));
}

TEST_CASE("an SLO objective is parsed, and a malformed one or an unknown metric named", "[slo]") {
  Objective o = parse_objective("paths.fork1.latency_s.p99<=0.005");
  CHECK(o.metric == "paths.fork1.latency_s.p99");
  CHECK(o.at_most);
  CHECK(o.bound == 0.005);
  CHECK(parse_objective(" throughput.forks_per_s >= 5e3 ").bound == 5000);
  CHECK(scenario_error_of([] { parse_objective("m<5"); }) ==
        "--slo: expected METRIC<=BOUND or METRIC>=BOUND, got 'm<5'");
  CHECK(scenario_error_of([] { parse_objective("m<=1>=2"); }) ==
        "--slo: expected METRIC<=BOUND or METRIC>=BOUND, got 'm<=1>=2'");
  CHECK(scenario_error_of([] { parse_objective("<=1"); }) ==
        "--slo: expected a metric name before '<=', got '<=1'");
  CHECK(scenario_error_of([] { parse_objective("m<=fast"); }) == "--slo: the bound must be a finite number, got 'fast'");
  CHECK(scenario_error_of([] { parse_objective("m<=nan"); }) == "--slo: the bound must be a finite number, got 'nan'");

  FakeRunner fr{[](double x) { return x; }};
  CHECK(scenario_error_of([&] {
          forksim::slo_search(parse_objective("mm<=1"), problem(fr, {1, 2}, 2), fr.runner());
        }) == "--slo: unknown metric 'mm': not a numeric figure of the run report; did you mean \"m\"?");
}
