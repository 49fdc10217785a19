// `forksim run --replay`: a report reruns from its own scenario and seed to
// the same figures, and a changed figure is named.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/support.hpp"

using namespace forksim::test;
using nlohmann::json;

namespace {

// A short run's report in d/r.json.
json write_report(const TempDir& d) {
  Result r = run_cli(d, {"run", "--quiet", "-o", "r.json", "--seed", "5", "--set", "duration_s=0.2",
                         "--set", "warmup_s=0.05"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(read_file(d / "r.json"));
}

}  // namespace

TEST_CASE("a report replays to the same figures", "[replay][cli]") {
  TempDir d;
  write_report(d);
  Result r = run_cli(d, {"run", "--replay", "r.json"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  std::smatch m;
  REQUIRE(std::regex_match(r.out, m, std::regex("replay: ([0-9]+) metrics match\n")));
  CHECK(std::stoi(m[1]) > 100);
}

TEST_CASE("a report whose figures were changed fails its replay, naming them", "[replay][cli]") {
  TempDir d;
  json rep = write_report(d);
  const double x = rep["throughput"]["forks_per_s"];
  rep["throughput"]["forks_per_s"] = x + 1;
  rep["cpu"].erase("busy_s");
  write_text(d / "t.json", rep.dump());
  Result r = run_cli(d, {"run", "--replay", "t.json", "--quiet"});
  CHECK(r.status == 1);
  char line[200];
  std::snprintf(line, sizeof line, "  throughput.forks_per_s: recorded %.17g, replayed %.17g\n", x + 1, x);
  CHECK(r.out.rfind("replay: 2 of ", 0) == 0);
  CHECK(r.out.find("  cpu.busy_s: recorded (absent), replayed ") != std::string::npos);
  CHECK(r.out.find(line) != std::string::npos);
}

TEST_CASE("replay refuses what is not a replayable report, exit 2", "[replay][cli]") {
  TempDir d;
  write_text(d / "c.json", R"({"kind": "compare"})");
  write_text(d / "half.json", R"({"schema_version": 2, "seed": 1, "scenario": {}, "complete": false,
                                  "incomplete_reason": "--max-wall-s 1 reached"})");
  write_text(d / "bad.json", R"({"schema_version": 2, "seed": 1, "scenario": {"machine": {"ncpu": 2}}})");
  write_text(d / "seed.json", R"({"schema_version": 2, "seed": 1, "scenario": {"seed": 2}})");
  auto err_of = [&d](const std::vector<std::string>& args) {
    Result r = run_cli(d, concat({"run"}, args));
    CHECK(r.status == 2);
    return r.err;
  };
  CHECK(err_of({"--replay", "c.json"}) ==
        "forksim run: c.json: not a forksim result: \"kind\" is \"compare\" (a result is a run "
        "report, or of kind \"replicated\" or \"sweep\")\n");
  CHECK(err_of({"--replay", "half.json"}) ==
        "forksim run: half.json: the run was stopped early (--max-wall-s 1 reached): only a "
        "complete run replays\n");
  CHECK(err_of({"--replay", "bad.json"}).rfind(
            "forksim run: bad.json: its \"scenario\" is not valid here: machine.ncpu", 0) == 0);
  CHECK(err_of({"--replay", "seed.json"}) ==
        "forksim run: seed.json: \"seed\" 1 is not its scenario's seed 2\n");
  CHECK(err_of({"--replay", "nothere.json"}) == "forksim run: nothere.json: No such file or directory\n");
  CHECK(err_of({"--replay", "c.json", "--set", "seed=3"}) ==
        "forksim run: --replay reruns the result's own scenario and seeds; it takes no --set or --unset\n");
  CHECK(err_of({"x.json", "--replay", "c.json"}) ==
        "forksim run: --replay reruns the result's own scenario and seeds; it takes no SCENARIO\n");
}
