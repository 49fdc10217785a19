// Points that fail, by the sweep's command: a point stopped by a budget of
// its own run (one that only it exceeds) is recorded with status 3 while
// the others finish, and a sweep whose every point fails by an internal
// error exits 1 saying so.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support.hpp"

using forksim::test::read_file;
using forksim::test::run_cli;
using forksim::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

TEST_CASE("a point over its run's memory budget fails alone, with status 3, and the sweep goes on",
          "[sweep][failures][cli]") {
  // Point 1 has 100 parents of 100,000 threads each: ten million threads,
  // past 200 MB in its set-up; points 0 and 2 need a few MB.
  TempDir d;
  auto r = run_cli(d, {"sweep", "--vary", "workload.parent.lwps=1,100000,2", "--vary",
                       "workload.parent.forking_lwps=1,100000,2", "--zip", "--set", "workload.parents=100",
                       "--set", "duration_s=0.3", "--set", "timeseries_s=0.1", "--replications", "2",
                       "--jobs", "1", "--max-memory-mb", "200", "-q", "-o", "s.json"});
  INFO(r.err);
  CHECK(r.status == 3);
  const std::string failed_run =
      "the run at point 1 (workload.parent.lwps=100000, workload.parent.forking_lwps=100000), seed 1 was "
      "stopped by a budget: resident memory ";
  CHECK_THAT(r.err, StartsWith("forksim sweep: 1 of 3 points failed\n  point 1: " + failed_run));
  CHECK_THAT(r.err, Contains("passed the memory budget of 200.0 MB (--max-memory-mb) in the set-up at "
                             "simulated 0.0 s\nthe result is marked incomplete; s.json.partial.jsonl is kept: "
                             "the same command runs the missing points, with --retry-failed the failed "
                             "ones too\n"));
  json s = json::parse(read_file(d / "s.json"));
  CHECK(s["complete"] == false);
  CHECK(s["failed_points"] == json::parse("[1]"));
  REQUIRE(s["points"].size() == 3);
  const json& failed = s["points"][1];
  CHECK(failed["index"] == 1);
  CHECK(failed["failed"]["status"] == 3);
  CHECK_THAT(failed["failed"]["message"].get<std::string>(), StartsWith(failed_run));
  CHECK_FALSE(failed.contains("metrics"));
  for (int i : {0, 2}) {
    const json& p = s["points"][i];
    INFO("point " << i);
    CHECK(p["index"] == i);
    CHECK_FALSE(p.contains("failed"));
    CHECK(p["replications"]["n"] == 2);
    CHECK(p["runs"].size() == 2);
    for (const json& run : p["runs"]) CHECK(run["complete"] == true);
    CHECK(p["metrics"]["throughput.forks_per_s"]["mean"].get<double>() > 0);
  }
  // The failure is in the partial log too, so that --retry-failed finds it.
  CHECK_THAT(read_file(d / "s.json.partial.jsonl"), Contains("\"failed\":{\"message\":\"" + failed_run));
}

TEST_CASE("a sweep whose every point fails by an internal error exits 1 and says so", "[sweep][failures][cli]") {
  // Under a CPU-time limit of 2 s per process, each run (100,000 simulated
  // seconds: 10 parents take 1.75 s of CPU per 1,000 of them here, so
  // minutes) is killed by the kernel, while the driver, which only forks
  // and waits, stays far below it. (At 1,000 s the smaller point, 1.75 s,
  // sometimes finished inside the limit.)
  TempDir d;
  const std::string cmd = "cd '" + d.path.string() + "' && ulimit -t 2 && '" FORKSIM_BINARY
                          "' sweep --vary workload.parents=10,20 --set duration_s=100000 --replications 1 "
                          "--jobs 1 -q -o s.json >out.txt 2>err.txt";
  int w = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(w));
  const std::string err = read_file(d / "err.txt");
  INFO(err);
  CHECK(WEXITSTATUS(w) == 1);
  CHECK(err ==
        "forksim sweep: every point failed (2 of 2)\n"
        "  point 0: the run at point 0 (workload.parents=10), seed 1 failed: killed by signal 9 (Killed)\n"
        "  point 1: the run at point 1 (workload.parents=20), seed 1 failed: killed by signal 9 (Killed)\n"
        "the result is marked incomplete; s.json.partial.jsonl is kept: the same command runs the missing "
        "points, with --retry-failed the failed ones too\n");
  CHECK(read_file(d / "out.txt").empty());
  json s = json::parse(read_file(d / "s.json"));
  CHECK(s["complete"] == false);
  CHECK(s["failed_points"] == json::parse("[0, 1]"));
  for (const json& p : s["points"]) {
    CHECK(p["failed"]["status"] == 1);
    CHECK_FALSE(p.contains("runs"));
  }
}
