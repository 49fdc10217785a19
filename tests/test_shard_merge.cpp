// `forksim sweep --shard I/N` and `forksim merge`: the slicing by cost
// (shard_points on synthetic costs, point_cost on scenarios), --shard's
// grammar, a sweep run whole against the same run as 3 shards merged, and
// every shard set the merge refuses, by its command.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>

#include "driver/shard.hpp"
#include "driver/sweep.hpp"
#include "driver/vary.hpp"
#include "tests/support.hpp"

using forksim::parse_shard;
using forksim::point_cost;
using forksim::shard_points;
using forksim::test::concat;
using forksim::test::names_in;
using forksim::test::read_file;
using forksim::test::run_cli;
using forksim::test::scenario_error_of;
using forksim::test::TempDir;
using forksim::test::write_text;
using nlohmann::json;

namespace {

using Points = std::vector<std::size_t>;

double cost_of(const std::vector<double>& costs, const Points& p) {
  double c = 0;
  for (std::size_t i : p) c += costs[i];
  return c;
}

// Checks the slicing of `costs` into n: a partition, each slice within the
// largest cost of the mean, the same answer when asked again.
void check_slices(const std::vector<double>& costs, int n) {
  INFO("points " << costs.size() << ", slices " << n);
  const double mean = std::accumulate(costs.begin(), costs.end(), 0.0) / n;
  const double largest = costs.empty() ? 0 : *std::max_element(costs.begin(), costs.end());
  std::vector<int> owner(costs.size(), 0);
  for (int s = 1; s <= n; ++s) {
    const Points p = shard_points(costs, s, n);
    CHECK(p == shard_points(costs, s, n));
    CHECK(std::is_sorted(p.begin(), p.end()));
    for (std::size_t i : p) ++owner[i];
    CHECK(std::abs(cost_of(costs, p) - mean) <= largest + 1e-9 * mean);
  }
  CHECK(std::count(owner.begin(), owner.end(), 1) == static_cast<long>(costs.size()));
}

}  // namespace

TEST_CASE("shards are balanced by cost, not count: each within the largest point of the mean",
          "[shard]") {
  // One expensive point and five cheap ones: a count split (3 and 3) would
  // give costs 7 and 3; by cost, the expensive point is a shard alone.
  const std::vector<double> lopsided = {5, 1, 1, 1, 1, 1};
  CHECK(shard_points(lopsided, 1, 2) == Points{0});
  CHECK(shard_points(lopsided, 2, 2) == Points{1, 2, 3, 4, 5});
  // Equal costs: round robin, counts within one of each other.
  const std::vector<double> equal(7, 2.0);
  CHECK(shard_points(equal, 1, 3) == Points{0, 3, 6});
  CHECK(shard_points(equal, 2, 3) == Points{1, 4});
  CHECK(shard_points(equal, 3, 3) == Points{2, 5});
  // More shards than points: the last ones are empty.
  CHECK(shard_points({3, 4}, 1, 4) == Points{1});
  CHECK(shard_points({3, 4}, 2, 4) == Points{0});
  CHECK(shard_points({3, 4}, 4, 4).empty());
  CHECK(shard_points({}, 1, 1).empty());
  // Synthetic costs spread over three orders of magnitude (a fixed LCG).
  std::vector<double> costs;
  uint64_t x = 12345;
  for (int i = 0; i < 500; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    costs.push_back(1 + static_cast<double>(x >> 40) / static_cast<double>(1ULL << 24) * 999);
  }
  for (int n : {1, 2, 3, 7, 16, 64}) check_slices(costs, n);
  for (int n : {1, 3, 5}) check_slices(lopsided, n);
  // The bound is reached, not loose: 3, 3, 2, 2, 2 over 2 slices gives 7 and 5 (mean 6).
  CHECK(cost_of({3, 3, 2, 2, 2}, shard_points({3, 3, 2, 2, 2}, 1, 2)) == 7);
  CHECK_THROWS_AS(shard_points({1}, 0, 2), std::invalid_argument);
  CHECK_THROWS_AS(shard_points({1}, 3, 2), std::invalid_argument);
  CHECK_THROWS_AS(shard_points({-1}, 1, 1), std::invalid_argument);
}

TEST_CASE("a point's cost is its duration times the fork rate it offers, capped by its CPUs",
          "[shard]") {
  using forksim::test::scenario;
  const json closed = json::parse(R"({"duration_s": 2, "machine": {"ncpus": 8},
      "workload": {"parents": 10, "think_s": 0.01, "child": {"lifetime_s": 0.001}}})");
  // 10 parents / (0.01 s think + 0.001 s child) = 909.09 forks/s, below 8 x 2500.
  CHECK(point_cost(scenario(closed)) == Approx(2000 + 2 * 10 / 0.011));
  CHECK(point_cost(scenario(closed, {"duration_s=4"})) == Approx(2000 + 4 * 10 / 0.011));
  // Think time 0: the CPUs' cap, 8 x 2500 forks/s.
  CHECK(point_cost(scenario(closed, {"workload.think_s=0", "workload.child.lifetime_s=0"})) ==
        Approx(2000 + 2 * 8 * 2500.0));
  CHECK(point_cost(scenario(closed, {"workload.think_s=0", "workload.child.lifetime_s=0",
                                     "machine.ncpus=2"})) == Approx(2000 + 2 * 2 * 2500.0));
  // A child that forks 3 of its own: each top-level fork counts 4.
  CHECK(point_cost(scenario(closed, {R"(workload.child.forks={"count": 3, "child": {}})"})) ==
        Approx(2000 + 2 * 4 * 10 / 0.011));
  CHECK(point_cost(scenario(json::parse(R"({"duration_s": 3, "workload": {"type": "open", "rate_per_s": 500}})"))) ==
        Approx(2000 + 3 * 500));
  CHECK(point_cost(scenario(json::parse(
            R"({"duration_s": 1, "machine": {"ncpus": 2}, "workload": {"type": "fork_bomb"}})"))) ==
        Approx(2000 + 2 * 2500));
}

TEST_CASE("a shard is named I/N with 1 <= I <= N, and a bad one is refused saying so", "[shard]") {
  CHECK(parse_shard("2/3").index == 2);
  CHECK(parse_shard("2/3").count == 3);
  CHECK(parse_shard("1/1").count == 1);
  CHECK(scenario_error_of([] { parse_shard("0/3"); }) ==
        "--shard: I must be from 1 to N (slices count from 1, as --array=1-N numbers a job array), got '0/3'");
  CHECK(scenario_error_of([] { parse_shard("4/3"); }) ==
        "--shard: I must be from 1 to N (slices count from 1, as --array=1-N numbers a job array), got '4/3'");
  CHECK(scenario_error_of([] { parse_shard("1/0"); }) == "--shard: N must be from 1 to 100000, got '1/0'");
  const std::string form =
      "--shard: must be I/N, two integers (the I-th of N slices, as "
      "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got '";
  for (const char* bad : {"3", "a/3", "1/3x", "-1/3", "1/+3", " 1/3", "", "1/", "/3", "1/2/3"})
    CHECK(scenario_error_of([bad] { parse_shard(bad); }) == form + bad + "'");
}

namespace {

// Six points whose cost grows with the CPUs (saturated: no think time),
// two replications each.
const std::vector<std::string> kSweep = {
    "sweep", "--vary", "machine.ncpus=1:6:1", "--set", "workload.parents=64", "--set", "workload.think_s=0",
    "--set", "workload.child.lifetime_s=0", "--set", "duration_s=0.2", "--set", "warmup_s=0.05",
    "--set", "timeseries_s=0.05", "--replications", "2", "--jobs", "2"};

// The result without what differs between two invocations of the same
// sweep: every wall time, and the command line and hosts of every
// manifest (the result's and each run's).
json comparable(json j) {
  if (j.is_object()) {
    j.erase("wall_time_s");
    if (j.contains("manifest"))
      for (const char* k : {"command_line", "host", "shards"}) j["manifest"].erase(k);
    for (auto& [k, v] : j.items()) v = comparable(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = comparable(v);
  }
  return j;
}

// Runs the three shards into s1.json, s2.json, s3.json.
void run_shards(const TempDir& d, const std::vector<std::string>& sweep) {
  for (int i = 1; i <= 3; ++i) {
    auto r = run_cli(d, concat(sweep, {"--shard", std::to_string(i) + "/3", "-o", "s" + std::to_string(i) + ".json", "-q"}));
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
}

}  // namespace

TEST_CASE("a sweep run as 3 shards and merged is the sweep run whole", "[shard][merge][cli]") {
  TempDir d;
  auto whole = run_cli(d, concat(kSweep, {"-o", "whole.json", "--csv", "whole.csv", "-q"}));
  INFO(whole.err);
  REQUIRE(whole.status == 0);
  run_shards(d, kSweep);
  // Cost grows with ncpus (2000 + 0.2 x 2500 x ncpus): 5 with 0, 4 with 1, 3 with 2.
  const std::vector<Points> expected = {{0, 5}, {1, 4}, {2, 3}};
  for (int i = 1; i <= 3; ++i) {
    json s = json::parse(read_file(d / ("s" + std::to_string(i) + ".json")));
    CHECK(s["shard"] == json{{"index", i}, {"count", 3}, {"points", expected[i - 1]}});
    REQUIRE(s["points"].size() == 2);
    CHECK(s["points"][0]["index"] == expected[i - 1][0]);
    CHECK(s["points"][1]["overrides"]["machine.ncpus"] == expected[i - 1][1] + 1);
    CHECK(s["sweep"]["points"] == 6);
    CHECK(s["complete"] == true);
    CHECK_FALSE(s.contains("knee"));
    CHECK_FALSE(s.contains("usl"));
    CHECK(s["manifest"]["host"].is_string());
  }
  // The shards in any order.
  auto m = run_cli(d, {"merge", "merged.json", "s3.json", "s1.json", "s2.json", "--csv", "merged.csv"});
  INFO(m.err);
  REQUIRE(m.status == 0);
  CHECK(m.out.find("sweep: 6 of 6 points") != std::string::npos);
  CHECK(m.out.find("knee of throughput.forks_per_s") != std::string::npos);
  CHECK(m.out.find("USL fit: ") != std::string::npos);
  json a = json::parse(read_file(d / "whole.json"));
  json b = json::parse(read_file(d / "merged.json"));
  CHECK(b["manifest"]["command_line"] ==
        json{"forksim", "merge", "merged.json", "s3.json", "s1.json", "s2.json", "--csv", "merged.csv"});
  REQUIRE(b["manifest"]["shards"].size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(b["manifest"]["shards"][i]["index"] == i + 1);
    CHECK(b["manifest"]["shards"][i]["command_line"].back() == "-q");
    CHECK(b["manifest"]["shards"][i]["host"].is_string());
  }
  REQUIRE(b.contains("usl"));
  CHECK(b["knee"] == a["knee"]);
  CHECK(comparable(a) == comparable(b));
  if (comparable(a) != comparable(b)) CHECK(json::diff(comparable(a), comparable(b)).dump() == "[]");
  CHECK(read_file(d / "whole.csv") == read_file(d / "merged.csv"));
  // Each point is its shard's text, copied (the runs are never parsed into
  // a tree): the merged file's points, byte for byte.
  const std::string merged = read_file(d / "merged.json");
  for (int i = 1; i <= 3; ++i) {
    const std::string shard = read_file(d / ("s" + std::to_string(i) + ".json"));
    const json parsed = json::parse(shard);
    for (const json& p : parsed["points"]) {
      const std::string text = p.dump(2);
      // The point as its shard lays it out: nested two levels deep.
      std::string nested;
      for (char c : text) nested += c == '\n' ? std::string("\n    ") : std::string(1, c);
      CHECK(shard.find(nested) != std::string::npos);
      CHECK(merged.find(nested) != std::string::npos);
    }
  }

  // A shard laid out otherwise (one line, as a tool might rewrite it)
  // merges to the same values; its points keep their layout.
  json s1 = json::parse(read_file(d / "s1.json"));
  {
    std::ofstream out((d / "s1.json").string());
    out << s1.dump();
  }
  auto c = run_cli(d, {"merge", "compact.json", "s3.json", "s1.json", "s2.json", "-q"});
  INFO(c.err);
  REQUIRE(c.status == 0);
  json cm = json::parse(read_file(d / "compact.json"));
  CHECK(comparable(cm) == comparable(json::parse(merged)));
  CHECK(read_file(d / "compact.json").find(s1["points"][0].dump()) != std::string::npos);
}

TEST_CASE("a shard refuses --slo and --knee-metric, and a bad I/N", "[shard][cli]") {
  TempDir d;
  auto r = run_cli(d, concat(kSweep, {"--shard", "1/3", "--slo", "paths.fork1.latency_s.p99<=0.005", "-o", "s.json"}));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim sweep: --slo cannot be used with --shard: the SLO search adds points between the "
                 "whole sweep's, which no shard has; run the search as one sweep (forksim sweep --slo ...), "
                 "or shard the sweep without --slo and read the knee of the merged result\n");
  r = run_cli(d, concat(kSweep, {"--shard", "1/3", "--knee-metric", "cpu.utilization", "-o", "s.json"}));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim sweep: --knee-metric is not a shard's: the knee and the USL are found when the "
                 "shards are merged: forksim merge OUT.json SHARD... --knee-metric cpu.utilization\n");
  r = run_cli(d, concat(kSweep, {"--shard", "0/3", "-o", "s.json"}));
  CHECK(r.status == 2);
  CHECK(r.err.find("--shard: I must be from 1 to N") != std::string::npos);
  CHECK(names_in(d.path).empty());
  // More shards than points: an empty shard, which a merge accepts.
  r = run_cli(d, {"sweep", "--vary", "machine.ncpus=1,2", "--set", "duration_s=0.1", "--replications", "1",
                  "--shard", "3/3", "-o", "empty.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("shard 3/3: points none;") != std::string::npos);
  json e = json::parse(read_file(d / "empty.json"));
  CHECK(e["points"].empty());
  CHECK(e["shard"]["points"].empty());
}

TEST_CASE("merge refuses shards that do not make one whole sweep, naming them, and writes nothing",
          "[shard][merge][cli]") {
  TempDir d;
  std::vector<std::string> sweep = kSweep;
  sweep[std::find(sweep.begin(), sweep.end(), "2") - sweep.begin()] = "1";  // one replication
  run_shards(d, sweep);
  auto shard = [&](int i) { return json::parse(read_file(d / ("s" + std::to_string(i) + ".json"))); };
  auto refused = [&](const std::vector<std::string>& files, const std::string& message) {
    auto r = run_cli(d, concat({"merge", "out.json"}, files));
    INFO(r.out);
    CHECK(r.status == 2);
    CHECK(r.err == "forksim merge: " + message + "\n");
    CHECK_FALSE(std::filesystem::exists(d / "out.json"));
  };
  // Missing points, by the shard not given, then by a shard stopped early.
  refused({"s1.json", "s2.json"}, "missing points 2, 3 of the sweep's 6: shard 3 of 3 not given");
  json s2 = shard(2);
  s2["points"].erase(1);  // point 4
  s2["complete"] = false;
  write_text(d / "s2cut.json", s2.dump());
  refused({"s1.json", "s2cut.json", "s3.json"},
          "missing point 4 of the sweep's 6: s2cut.json (shard 2/3) is incomplete");
  refused({"s1.json", "s2cut.json"},
          "missing points 2, 3, 4 of the sweep's 6: shard 3 of 3 not given; s2cut.json (shard 2/3) is "
          "incomplete");
  // Duplicated shards and points.
  write_text(d / "s1copy.json", read_file(d / "s1.json"));
  refused({"s1.json", "s2.json", "s3.json", "s1copy.json"}, "shard 1/3 is given twice: s1.json and s1copy.json");
  json s1as2 = shard(1);
  s1as2["shard"]["index"] = 2;
  write_text(d / "s1as2.json", s1as2.dump());
  refused({"s1.json", "s1as2.json", "s3.json"}, "point 0 is in both s1.json (shard 1/3) and s1as2.json (shard 2/3)");
  // Shards of different N.
  json s3of4 = shard(3);
  s3of4["shard"]["count"] = 4;
  write_text(d / "s3of4.json", s3of4.dump());
  refused({"s1.json", "s2.json", "s3of4.json"},
          "s3of4.json (shard 3/4) and s1.json (shard 1/3) are shards of different N (4 and 3)");
  // Shards of different sweeps: really run, with another duration; and
  // with another seed, another replication count.
  std::vector<std::string> other = sweep;
  other[std::find(other.begin(), other.end(), "duration_s=0.2") - other.begin()] = "duration_s=0.15";
  auto r = run_cli(d, concat(other, {"--shard", "3/3", "-o", "other.json", "-q"}));
  REQUIRE(r.status == 0);
  r = run_cli(d, {"merge", "out.json", "s1.json", "s2.json", "other.json"});
  CHECK(r.status == 2);
  CHECK(r.err.rfind("forksim merge: s1.json and other.json are shards of different sweeps: their definitions "
                    "differ in \"scenario_hash\" (\"", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(d / "out.json"));
  json seeded = shard(3);
  seeded["scenario"]["seed"] = 7;
  write_text(d / "seeded.json", seeded.dump());
  refused({"s1.json", "s2.json", "seeded.json"},
          "s1.json and seeded.json are shards of different sweeps: their definitions differ in \"seeds\" ([1] and [7])");
  json reps = shard(3);
  reps["sweep"]["replications"] = 3;
  write_text(d / "reps.json", reps.dump());
  refused({"s1.json", "s2.json", "reps.json"},
          "s1.json and reps.json are shards of different sweeps: their definitions differ in \"replications\" (1 and 3)");
  // Files that are not shards.
  auto whole = run_cli(d, {"sweep", "--vary", "machine.ncpus=1,2", "--set", "duration_s=0.1", "--replications",
                           "1", "-q", "-o", "whole.json"});
  REQUIRE(whole.status == 0);
  refused({"s1.json", "whole.json"},
          "whole.json: a whole sweep's result, not a shard (it has no \"shard\" object; forksim sweep "
          "--shard I/N writes one)");
  r = run_cli(d, {"run", "--set", "duration_s=0.1", "-q", "-o", "report.json"});
  REQUIRE(r.status == 0);
  refused({"s1.json", "report.json"}, "report.json: not a shard of a sweep: it has no \"kind\", so it is no sweep's result");
  write_text(d / "text.json", "not json");
  r = run_cli(d, {"merge", "out.json", "s1.json", "text.json"});
  CHECK(r.status == 2);
  CHECK(r.err.rfind("forksim merge: text.json: not JSON (", 0) == 0);
  // Shards are read side by side; of two that cannot be read, the first
  // given is the one named, whichever was read first.
  write_text(d / "cut.json", "{\"kind\": \"sweep\", \"points\": [");
  for (const auto& order : {std::vector<std::string>{"text.json", "cut.json"}, {"cut.json", "text.json"}}) {
    r = run_cli(d, {"merge", "out.json", "s1.json", order[0], order[1]});
    CHECK(r.status == 2);
    CHECK(r.err.rfind("forksim merge: " + order[0] + ": not JSON (", 0) == 0);
  }
  json moved = shard(1);
  moved["points"][0]["overrides"]["machine.ncpus"] = 9;
  write_text(d / "moved.json", moved.dump());
  refused({"moved.json", "s2.json", "s3.json"},
          "moved.json: not a shard of a sweep: point 0 has the overrides {\"machine.ncpus\":9}, not the "
          "sweep's {\"machine.ncpus\":1}");
  json stray = shard(1);
  stray["shard"]["points"] = json::array({0});
  write_text(d / "stray.json", stray.dump());
  refused({"stray.json", "s2.json", "s3.json"}, "stray.json: not a shard of a sweep: point 5 is not one of its shard's points");
  json typed = shard(1);
  typed["shard"]["index"] = "1";
  write_text(d / "typed.json", typed.dump());
  refused({"typed.json"}, "typed.json: not a shard of a sweep: its \"index\" is not an integer");
  // OUT forgotten: the first shard would be written over.
  r = run_cli(d, {"merge", "s1.json", "s2.json", "s3.json"});
  CHECK(r.status == 2);
  CHECK(r.err == "forksim merge: OUT s1.json is a shard of a sweep, not written over; the first argument "
                 "is the merged result's file: forksim merge OUT.json SHARD...\n");
  r = run_cli(d, {"merge", "out.json"});
  CHECK(r.status == 2);
  CHECK(r.err == "forksim merge: needs OUT.json and at least one shard: forksim merge OUT.json SHARD...\n");
  // And the set that makes the sweep merges.
  r = run_cli(d, {"merge", "out.json", "s1.json", "s2.json", "s3.json", "-q"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(json::parse(read_file(d / "out.json"))["points"].size() == 6);
}

TEST_CASE("merge --help names its arguments and what it refuses", "[merge][cli]") {
  TempDir d;
  auto r = run_cli(d, {"merge", "--help"});
  CHECK(r.status == 0);
  CHECK(r.out.find("forksim merge OUT.json SHARD.json... [options]") != std::string::npos);
  CHECK(r.out.find("--knee-metric") != std::string::npos);
  CHECK(r.out.find("Exit 2 and nothing written when the shards do not make one whole sweep; 3\n") != std::string::npos);
  r = run_cli(d, {"--help"});
  CHECK(r.out.find("  merge OUT.json SHARD...\n") != std::string::npos);
}

// A shard's partial log is its own: the definition it starts with names the
// shard's points, so the log of shard 1/2 is not resumed as shard 2/2 (nor
// as the whole sweep), while the whole sweep's definition has no such field.
TEST_CASE("a shard's sweep definition names its points, so another shard cannot resume its log",
          "[shard][resume]") {
  forksim::SweepOptions opt;
  opt.vary.push_back(forksim::parse_vary("workload.parents=1:4:1"));
  const json raw = {{"duration_s", 0.3}};
  const forksim::SweepPlan whole = forksim::plan_sweep(raw, opt);
  const json all = forksim::sweep_definition(whole, opt);
  CHECK_FALSE(all.contains("shard_points"));
  const json one = forksim::sweep_definition(forksim::shard_plan(whole, parse_shard("1/2")), opt);
  const json two = forksim::sweep_definition(forksim::shard_plan(whole, parse_shard("2/2")), opt);
  REQUIRE(one.contains("shard_points"));
  Points p1 = one["shard_points"].get<Points>(), p2 = two["shard_points"].get<Points>();
  Points both = p1;
  both.insert(both.end(), p2.begin(), p2.end());
  std::sort(both.begin(), both.end());
  CHECK(both == Points{0, 1, 2, 3});
  const auto diff = forksim::definition_differences(one, "in this command", two, "in the log");
  REQUIRE(diff.size() == 1);
  CHECK(diff[0].rfind("shard_points (", 0) == 0);
  CHECK(forksim::definition_differences(all, "a", one, "b").size() == 1);
}
