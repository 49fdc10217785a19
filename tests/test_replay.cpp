// `forksim run --replay`: a report reruns from its own scenario and seed to
// the same figures, and a changed figure is named.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>

#include "analysis/report.hpp"
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
  // Past 20, the first 20 are shown.
  std::size_t changed = 0;
  for (auto& [name, lock] : rep["locks"].items())
    for (auto& [key, v] : lock.items())
      if (v.is_number_float()) v = v.get<double>() + 1, ++changed;
  REQUIRE(changed > 20);
  write_text(d / "t.json", rep.dump());
  r = run_cli(d, {"run", "--replay", "t.json"});
  CHECK(r.status == 1);
  CHECK(r.out.rfind("replay: " + std::to_string(changed + 2) + " of ", 0) == 0);
  CHECK(r.out.find(" metrics differ (the first 20):\n") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 21);
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

TEST_CASE("replay notes another version, an edited manifest and --step-by-step", "[replay][cli]") {
  TempDir d;
  json rep = write_report(d);
  rep["manifest"]["forksim_version"] = "0.0.1";
  rep["manifest"]["scenario_hash"] = "0000000000000000";
  rep["manifest"]["command_line"].push_back("--step-by-step");
  write_text(d / "n.json", rep.dump());
  Result r = run_cli(d, {"run", "--replay", "n.json"});
  CHECK(r.status == 0);  // the figures are the scenario's and seed's, which are untouched
  CHECK(r.err ==
        "forksim: note: n.json's scenario does not hash to its manifest's scenario_hash: it was "
        "changed after the run\n"
        "forksim: note: n.json was made with --step-by-step, which counts more engine events: "
        "replay it with --step-by-step too\n"
        "forksim: note: n.json was made by forksim \"0.0.1\", this is " +
            std::string(forksim::kForksimVersion) + "\n");
}
