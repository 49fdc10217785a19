// The sweep's --vary grammar and points (driver/vary.hpp), and the
// sequential stopping rule (driver/stopping.hpp): pure functions.
#include <catch2/catch.hpp>

#include "driver/stopping.hpp"
#include "driver/vary.hpp"
#include "scenarios/scenario.hpp"

using forksim::parse_vary;
using forksim::ScenarioError;
using nlohmann::json;

namespace {

std::string vary_error(const std::string& arg) {
  try {
    parse_vary(arg);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<json> values(const std::string& arg) { return parse_vary(arg).values; }

}  // namespace

TEST_CASE("a --vary list is values as --set reads them, and commas inside JSON do not split", "[sweep]") {
  CHECK(values("workload.parents=1,2,4,8") == std::vector<json>{1, 2, 4, 8});
  CHECK(values("kernel.fork_backoff=illumos,none") == std::vector<json>{"illumos", "none"});
  forksim::Vary v = parse_vary(R"(workload={"type": "open", "rate_per_s": 5},{"type": "closed"})");
  REQUIRE(v.values.size() == 2);
  CHECK(v.values[0] == json{{"type", "open"}, {"rate_per_s", 5}});
  CHECK(v.sets[1] == R"(workload={"type": "closed"})");
  CHECK(values("duration_s=0.5") == std::vector<json>{0.5});
}

TEST_CASE("an arithmetic range includes both ends and does not drift", "[sweep]") {
  CHECK(values("workload.parents=100:500:100") == std::vector<json>{100, 200, 300, 400, 500});
  CHECK(values("workload.parents=1:10:4") == std::vector<json>{1, 5, 9});
  CHECK(values("workload.parents=8:2:-3") == std::vector<json>{8, 5, 2});
  // 0.1 + 2 x 0.1 is 0.30000000000000004 in doubles; the values are rounded
  // to the decimals they are written with.
  CHECK(values("duration_s=0.1:0.5:0.1") == std::vector<json>{0.1, 0.2, 0.3, 0.4, 0.5});
  std::vector<json> many = values("duration_s=0:10:0.01");
  REQUIRE(many.size() == 1001);
  CHECK(many[700] == json(7.0));
  CHECK(many.back() == json(10.0));
  CHECK(parse_vary("workload.parents=1:3:1").sets ==
        std::vector<std::string>{"workload.parents=1", "workload.parents=2", "workload.parents=3"});
}

TEST_CASE("a geometric range multiplies up to its end", "[sweep]") {
  CHECK(values("machine.ncpus=1:64:x2") == std::vector<json>{1, 2, 4, 8, 16, 32, 64});
  CHECK(values("machine.ncpus=1:100:x3") == std::vector<json>{1, 3, 9, 27, 81});
  CHECK(values("duration_s=0.5:4:x2") == std::vector<json>{0.5, 1.0, 2.0, 4.0});
  CHECK(values("machine.ncpus=64:1:x0.5") == std::vector<json>{64.0, 32.0, 16.0, 8.0, 4.0, 2.0, 1.0});
}

TEST_CASE("a bad --vary names its key and why", "[sweep]") {
  CHECK(vary_error("workload.parents") ==
        "--vary: expected KEY=LIST (1,2,4 or 100:2000:100 or 1:64:x2), got \"workload.parents\"");
  CHECK(vary_error("workload.parents=") == "workload.parents: --vary gives no values");
  CHECK(vary_error("workload.parents=1,,2") ==
        "workload.parents: --vary has an empty value in \"1,,2\"");
  CHECK(vary_error("workload.parents=1:10:0") == "workload.parents: the range's step is 0");
  CHECK(vary_error("workload.parents=10:1:2") ==
        "workload.parents: the range's step 2 goes away from its end 1");
  CHECK(vary_error("machine.ncpus=0:64:x2") ==
        "machine.ncpus: a geometric range needs a start and an end > 0");
  CHECK(vary_error("machine.ncpus=1:64:x1") ==
        "machine.ncpus: a geometric range's factor must be > 0 and not 1, got x1");
  CHECK(vary_error("duration_s=0:1000:0.001") ==
        "duration_s: the range has more than 10000 values");
  CHECK(vary_error("seed=1,2") ==
        "seed: is not varied: replication i runs with seed + i at every point; "
        "--replications sets how many");
  CHECK(vary_error("machine..ncpus=1,2").find("--set") == 0);  // the key's syntax, as --set checks it
}

TEST_CASE("sweep points are every combination, or with --zip the lists in lock-step", "[sweep]") {
  std::vector<forksim::Vary> v = {parse_vary("a=1,2"), parse_vary("b=x,y,z")};
  auto pts = forksim::sweep_points(v, false);
  REQUIRE(pts.size() == 6);
  CHECK(pts[0].sets == std::vector<std::string>{"a=1", "b=x"});
  CHECK(pts[1].sets == std::vector<std::string>{"a=1", "b=y"});
  CHECK(pts[3].overrides == json{{"a", 2}, {"b", "x"}});
  CHECK(forksim::point_label(3, pts[3]) == "point 3 (a=2, b=x)");

  std::vector<forksim::Vary> z = {parse_vary("a=1,2,3"), parse_vary("b=x,y,z")};
  auto zipped = forksim::sweep_points(z, true);
  REQUIRE(zipped.size() == 3);
  CHECK(zipped[2].overrides == json{{"a", 3}, {"b", "z"}});
  try {
    forksim::sweep_points(v, true);
    FAIL("unequal lists zipped");
  } catch (const ScenarioError& e) {
    CHECK(std::string(e.what()) == "--zip: the lists must be equally long: a has 2 values, b has 3");
  }
  std::vector<forksim::Vary> twice = {parse_vary("a=1"), parse_vary("a=2")};
  CHECK_THROWS_WITH(forksim::sweep_points(twice, false), "a: is varied twice (one --vary per key)");
  std::vector<forksim::Vary> big = {parse_vary("a=1:1000:1"), parse_vary("b=1:1000:1")};
  CHECK_THROWS_WITH(forksim::sweep_points(big, false),
                    "--vary: the sweep has 1000000 points, more than 10000");
}

TEST_CASE("sequential stopping is judged from 5 replications, in seed order", "[replications]") {
  forksim::StopRule fixed;
  fixed.replications = 3;
  CHECK_FALSE(forksim::decide(fixed, {1.0, 2.0}));
  CHECK(forksim::decide(fixed, {1.0, 2.0, 3.0})->reason == "asked");

  forksim::StopRule p;
  p.replications = 2;
  p.precision = forksim::Precision{0.02, "m", 8};
  CHECK(p.initial() == 5);
  CHECK(p.most() == 8);
  // Tight values: precise at once, but not before the fifth.
  CHECK_FALSE(forksim::decide(p, {100.0, 100.1, 99.9, 100.0}));
  auto d = forksim::decide(p, {100.0, 100.1, 99.9, 100.0, 100.05});
  REQUIRE(d);
  CHECK(d->reason == "precision reached");
  CHECK(*d->rel_half_width < 0.02);
  // Spread values: never precise; the most it may run stops it.
  std::vector<std::optional<double>> wide = {1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0};
  CHECK_FALSE(forksim::decide(p, wide));
  wide.push_back(3.0);
  CHECK(forksim::decide(p, wide)->reason == "max replications");
  // A replication without the metric: no interval, so no precision.
  CHECK_FALSE(forksim::rel_half_width({1.0, std::nullopt, 1.0}, 0.95));

  forksim::StopRule bad = p;
  bad.precision->target = 0;
  CHECK_THROWS_WITH(forksim::check_rule(bad),
                    "--precision: must be a relative half-width between 0 and 1 (0.02 for 2%), got 0");
  bad.precision->target = 2;  // meant 2%: not a fraction
  CHECK_THROWS_WITH(forksim::check_rule(bad),
                    "--precision: must be a relative half-width between 0 and 1 (0.02 for 2%), got 2");
  bad.precision->target = 0.999;
  CHECK_NOTHROW(forksim::check_rule(bad));
  bad = p;
  bad.replications = 9;
  CHECK_THROWS_WITH(forksim::check_rule(bad), "--replications: is more than --max-replications (9 > 8)");
}
