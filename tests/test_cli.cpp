// The command line as users meet it: the real forksim binary run as a
// subprocess, in a fresh temporary directory per test, with stdout, stderr
// and the exit status captured separately. Checks the contract of
// README.md: exit 0 / 2 / 1, errors naming the key and the reason, -o never
// clobbering a report on failure, the report's keys, validate's resolved
// scenario, explain's steps, and golden transcripts of what users read.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support.hpp"

#ifndef FORKSIM_BINARY
#error "FORKSIM_BINARY (the path of the forksim executable) must be defined"
#endif
#ifndef FORKSIM_SOURCE_DIR
#error "FORKSIM_SOURCE_DIR (the repository root) must be defined"
#endif

using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;
using forksim::test::check_golden;
using forksim::test::concat;
using forksim::test::run_cli;
using forksim::test::read_file;
using forksim::test::Result;
using forksim::test::TempDir;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// A scenario file kept for the tests (tests/fixtures/), not in the library.
std::string fixture(const std::string& name) {
  return (fs::path(FORKSIM_SOURCE_DIR) / "tests" / "fixtures" / name).string();
}

json parse_json(const std::string& text) {
  INFO("text: " << text.substr(0, 2000));
  json j;
  REQUIRE_NOTHROW(j = json::parse(text));
  return j;
}

// A short run of the default scenario, for the tests that need a report.
const std::vector<std::string> kShortRun = {"--quiet", "--set", "duration_s=0.3", "--set",
                                            "warmup_s=0.1"};

}  // namespace

TEST_CASE("forksim without a command prints the usage on stderr and exits 2", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("usage: forksim") && Contains("run") && Contains("validate") &&
                        Contains("explain"));
}

TEST_CASE("forksim --help and every command's --help exit 0 on stdout", "[cli]") {
  TempDir d;
  Result top = run_cli(d, {"--help"});
  CHECK(top.status == 0);
  CHECK_THAT(top.out, Contains("usage: forksim"));
  CHECK(top.err.empty());

  struct Case {
    const char* command;
    std::vector<const char*> options;
  };
  for (const Case& c : std::vector<Case>{
           {"run", {"--set", "--seed", "--output", "--quiet", "--step-by-step", "--max-wall-s"}},
           {"validate", {"--set"}},
           {"explain", {"--json", "--scenario", "--set", "fork1", "getproc_fail"}}}) {
    INFO("forksim " << c.command << " --help");
    Result r = run_cli(d, {c.command, "--help"});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    for (const char* o : c.options) CHECK_THAT(r.out, Contains(o));
  }
}

TEST_CASE("an unknown command exits 2 and names the command", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {"frobnicate"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("frobnicate") && Contains("usage"));
}

TEST_CASE("bad input exits 2 with a message naming the key and the reason", "[cli]") {
  TempDir d;
  write_file(d / "broken.json", "{\"machine\": {\"ncpus\": 4,");
  const std::string broken = (d / "broken.json").string();
  const std::string missing = (d / "missing.json").string();

  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> message;  // each must appear on stderr
  };
  const std::vector<Case> cases = {
      {{"run", "--set", "machine.ncpu=4"}, {"machine.ncpu", "unknown key"}},
      {{"run", "--set", "machine.ncpus=0"}, {"machine.ncpus", "must be", "0"}},
      {{"run", "--set", "machine.ncpus=abc"}, {"machine.ncpus", "expected an integer"}},
      {{"run", broken}, {broken, "not valid JSON"}},
      {{"validate", broken}, {broken, "not valid JSON"}},
      {{"run", missing}, {missing, "cannot open"}},
      {{"run", "--set", "machine.ncpus"}, {"--set", "KEY=VALUE", "machine.ncpus"}},
      {{"explain", "nosuchpath"}, {"nosuchpath", "unknown path"}},
      {{"run", "--progress", "maybe"}, {"--progress", "maybe"}},
      {{"run", "--seed", "abc"}, {"seed", "expected an integer", "abc"}},
      {{"run", "--set", "warmup_s=5", "--set", "duration_s=1"}, {"warmup_s", "duration_s"}},
      {{"explain", "--set", "costs.nosuch=1"}, {"costs.nosuch", "unknown step"}},
  };
  for (const Case& c : cases) {
    std::string cmd = "forksim";
    for (const auto& a : c.args) cmd += " " + a;
    INFO(cmd);
    Result r = run_cli(d, c.args);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    INFO("stderr: " << r.err);
    for (const auto& m : c.message) CHECK_THAT(r.err, Contains(m));
  }
}

TEST_CASE("a failed run leaves an existing report untouched", "[cli]") {
  TempDir d;
  write_file(d / "r.json", "KEEP");
  Result r = run_cli(d, {"run", "--set", "machine.ncpus=0", "-o", "r.json"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("machine.ncpus"));
  CHECK(read_file(d / "r.json") == "KEEP");
  CHECK_FALSE(fs::exists(d / "r.json.tmp"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(d.path)) left.push_back(e.path().filename().string());
  CHECK(left == std::vector<std::string>{"r.json"});
}

TEST_CASE("a short run is quiet with --quiet and writes a complete report", "[cli]") {
  TempDir d;
  Result r = run_cli(d, concat({"run"}, concat(kShortRun, {"-o", "r.json"})));
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  CHECK_FALSE(fs::exists(d / "r.json.tmp"));
  REQUIRE(fs::exists(d / "r.json"));
  const json rep = parse_json(read_file(d / "r.json"));

  for (const char* k : {"schema_version", "forksim_version", "scenario", "seed", "sim_time_s",
                        "wall_time_s"})
    CHECK(rep.contains(k));
  CHECK(rep["scenario"].is_object());
  CHECK(rep["sim_time_s"] == 0.3);

  auto has = [&rep](const char* pointer) {
    INFO("report key " << pointer);
    CHECK(rep.contains(json::json_pointer(pointer)));
  };
  for (const char* k : {"attempts", "successes", "failures"}) has(("/paths/fork1/" + std::string(k)).c_str());
  for (const char* k : {"mean", "p50", "p90", "p99", "max"})
    has(("/paths/fork1/latency_s/" + std::string(k)).c_str());
  has("/throughput/forks_per_s");
  for (const char* k : {"acquisitions", "contended", "wait_mean_s", "wait_max_s", "hold_mean_s",
                        "utilization", "spin_cpu_s"})
    has(("/locks/pidlock/" + std::string(k)).c_str());
  has("/processes/nproc_max");
  has("/processes/nproc_end");
  has("/cpu/utilization");

  // The default workload forks steadily: a run of 0.2 s measured has forks.
  const json& fork1 = rep["paths"]["fork1"];
  CHECK(fork1["attempts"].get<uint64_t>() > 0);
  CHECK(fork1["successes"].get<uint64_t>() > 0);
  CHECK(fork1["latency_s"]["p50"].get<double>() > 0);
  CHECK(fork1["latency_s"]["p50"].get<double>() <= fork1["latency_s"]["max"].get<double>());
  CHECK(rep["throughput"]["forks_per_s"].get<double>() > 0);
}

TEST_CASE("the --seed option reaches the report and its scenario", "[cli]") {
  TempDir d;
  Result r = run_cli(d, concat({"run", "--seed", "7"}, concat(kShortRun, {"-o", "r.json"})));
  REQUIRE(r.status == 0);
  const json rep = parse_json(read_file(d / "r.json"));
  CHECK(rep["seed"] == 7);
  CHECK(rep["scenario"]["seed"] == 7);
}

TEST_CASE("validate prints the scenario resolved, every default filled", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {"validate", fixture("fork_bomb.json")});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  const json s = parse_json(r.out);
  // Values from the file...
  CHECK(s["name"] == "fork_bomb");
  CHECK(s["machine"]["ncpus"] == 32);
  CHECK(s["tunables"]["max_nprocs"] == 2000);
  CHECK(s["workload"]["type"] == "fork_bomb");
  // ...and defaults it does not set.
  for (const char* p : {"/tunables/maxuprc", "/tunables/reserved_procs", "/tunables/pidmax",
                        "/machine/hz", "/machine/cpu_speed", "/machine/physmem_mb",
                        "/workload/parent/lwps", "/workload/parent/reserved_mb",
                        "/workload/parent/resident_mb", "/workload/parent/writes_mb_per_s",
                        "/workload/parent/reap", "/costs"}) {
    INFO(p);
    CHECK(s.contains(json::json_pointer(p)));
  }

  // The resolved scenario is a valid scenario that resolves to itself.
  write_file(d / "resolved.json", r.out);
  Result again = run_cli(d, {"validate", "resolved.json"});
  CHECK(again.status == 0);
  CHECK(again.out == r.out);
}

TEST_CASE("validate rejects a scenario file with an unknown key", "[cli]") {
  TempDir d;
  write_file(d / "s.json", R"({"machine": {"ncpus": 4, "hertz": 100}})");
  Result r = run_cli(d, {"validate", "s.json"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("machine.hertz") && Contains("unknown key"));
}

TEST_CASE("explain --json lists each path's steps in order", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {"explain", "--json"});
  REQUIRE(r.status == 0);
  const json steps = parse_json(r.out);
  REQUIRE(steps.is_array());
  REQUIRE_FALSE(steps.empty());

  std::set<std::string> paths;
  for (const json& st : steps) {
    INFO(st.dump());
    REQUIRE(st.contains("name"));
    CHECK(st["name"].is_string());
    CHECK(st.contains("path"));
    CHECK(st.contains("lines"));
    REQUIRE(st.contains("locks"));
    CHECK(st["locks"].is_array());
    REQUIRE(st.contains("cost_ns"));
    CHECK(st["cost_ns"].is_number());
    paths.insert(st["path"].get<std::string>());
  }
  // Every path README.md lists.
  for (const char* p : {"fork1", "forkall", "vfork", "child", "exec", "exit", "wait",
                        "getproc_fail", "asdup_fail", "forklwp_fail", "badcall", "sched"})
    CHECK(paths.count(p) == 1);

  auto names_of = [&steps](const std::string& path) {
    std::vector<std::string> v;
    for (const json& st : steps)
      if (st["path"] == path) v.push_back(st["name"].get<std::string>());
    return v;
  };
  auto index = [](const std::vector<std::string>& v, const std::string& name) {
    return std::find(v.begin(), v.end(), name) - v.begin();
  };

  const auto fork1 = names_of("fork1");
  const std::vector<std::string> order = {"syscall_entry", "pid_allocate", "getproc_link", "as_dup",
                                          "forklwp", "fork_publish", "forkret"};
  for (size_t i = 0; i < order.size(); ++i) {
    INFO(order[i]);
    REQUIRE(index(fork1, order[i]) < static_cast<long>(fork1.size()));
    if (i) CHECK(index(fork1, order[i - 1]) < index(fork1, order[i]));
  }

  const auto vfork = names_of("vfork");
  CHECK(index(vfork, "vfork_share_as") < static_cast<long>(vfork.size()));
  CHECK(index(vfork, "vfwait") < static_cast<long>(vfork.size()));
  CHECK(index(vfork, "as_dup") == static_cast<long>(vfork.size()));
}

TEST_CASE("every step explain lists is accepted as a cost key", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {"explain", "--json"});
  REQUIRE(r.status == 0);
  json costs = json::object();
  for (const json& st : parse_json(r.out)) costs[st["name"].get<std::string>()] = 777;
  write_file(d / "costs.json", json{{"costs", costs}}.dump());

  Result v = run_cli(d, {"validate", "costs.json"});
  INFO("stderr: " << v.err);
  REQUIRE(v.status == 0);
  CHECK(parse_json(v.out)["costs"] == costs);

  // And a run takes one.
  Result run = run_cli(d, {"run", "--quiet", "--set", "duration_s=0.2", "--set", "warmup_s=0",
                           "--set", "costs.as_dup=1000"});
  INFO("stderr: " << run.err);
  CHECK(run.status == 0);
  CHECK(run.out.empty());
}

TEST_CASE("explain shows the costs --set gives", "[cli]") {
  TempDir d;
  Result r = run_cli(d, {"explain", "fork1", "--set", "costs.as_dup=12345", "--json"});
  REQUIRE(r.status == 0);
  int seen = 0;
  for (const json& st : parse_json(r.out)) {
    CHECK(st["path"] == "fork1");
    if (st["name"] == "as_dup") {
      CHECK(st["cost_ns"] == 12345);
      ++seen;
    } else {
      CHECK(st["cost_ns"] != 12345);
    }
  }
  CHECK(seen == 1);
}

// Golden transcripts: what users read, byte for byte. After a deliberate
// change, run the tests with FORKSIM_UPDATE_GOLDEN=1 to rewrite the files
// under tests/golden/ instead of comparing, then read the diff before
// committing it. The summary golden also pins the model: a change of a
// default cost or of the scheduling changes it.
void check_explain_golden(const std::string& path) {
  TempDir d;
  Result r = run_cli(d, {"explain", path});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  check_golden("explain_" + path + ".txt", r.out);
}

TEST_CASE("explain fork1 matches its golden transcript", "[cli][golden]") {
  check_explain_golden("fork1");
}

TEST_CASE("explain getproc_fail matches its golden transcript", "[cli][golden]") {
  check_explain_golden("getproc_fail");
}

TEST_CASE("forksim list matches its golden transcript", "[cli][golden]") {
  TempDir d;
  Result r = run_cli(d, {"list"});
  REQUIRE(r.status == 0);
  check_golden("list.txt", r.out);
}

// exec's steps in exec.c's order with their lines, relvm between the
// argument copy and the new address space.
TEST_CASE("explain exec matches its golden transcript", "[cli][golden]") {
  check_explain_golden("exec");
}

// A composite machine's summary: the machine's table, then each group's
// throughput and rows, and the web group's requests.
TEST_CASE("the summary of a composite machine matches its golden transcript", "[cli][golden]") {
  TempDir d;
  const std::string groups =
      R"(workload={"groups": [{"name": "shells", "parents": 8},)"
      R"( {"name": "web", "type": "open", "rate_per_s": 1000, "parents": 4, "path": "vfork"}]})";
  Result r = run_cli(d, {"run", "--set", "duration_s=0.3", "--set", "warmup_s=0.1", "--seed", "2",
                         "--set", groups});
  REQUIRE(r.status == 0);
  check_golden("summary_groups.txt", r.out);
}

// The summary leaves wall-clock time out (analysis/summary.cpp), so a seeded
// run prints the same summary every time and nothing needs stripping.
TEST_CASE("the summary of a short seeded run matches its golden transcript", "[cli][golden]") {
  TempDir d;
  const std::vector<std::string> args = {"run", "--set", "duration_s=0.5", "--set", "warmup_s=0.1",
                                         "--seed", "3"};
  Result r = run_cli(d, args);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, !Contains("wall"));
  check_golden("summary_default.txt", r.out);
  // Determinism within this build, whatever the golden says.
  CHECK(run_cli(d, args).out == r.out);
}

// Defects found while writing these tests, fixed since: they stay fixed.
TEST_CASE("CLI defects found once stay fixed", "[cli]") {
  TempDir d;
  SECTION("--seed -1 is rejected like --set seed=-1") {
    // Boost's lexical_cast turns "-1" into 2^64-1 for the uint64_t option.
    Result r = run_cli(d, concat({"run", "--seed", "-1"}, kShortRun));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("seed"));
  }
  SECTION("a directory given as scenario file is bad input, not an internal error") {
    fs::create_directory(d / "dir.json");
    Result r = run_cli(d, {"validate", "dir.json"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("dir.json"));
  }
  SECTION("explain --json lists only lock names in locks") {
    Result r = run_cli(d, {"explain", "--json"});
    REQUIRE(r.status == 0);
    for (const json& st : parse_json(r.out))
      for (const json& l : st["locks"]) {
        INFO(st["path"].get<std::string>() << " " << st["name"].get<std::string>());
        CHECK_THAT(l.get<std::string>(), !Contains("(") && !Contains("released"));
      }
  }
}

// A run that outgrows its budget stops cleanly: exit 3, a report marked
// incomplete that says why, its window cut where the run stopped.
TEST_CASE("budgets stop a run with a partial report", "[cli][guard]") {
  TempDir d;
  // Few samples: a 1 MB budget would refuse the default series' report
  // before the run (test_budgets.cpp).
  std::vector<std::string> long_run = {"run", "--quiet", "--set", "duration_s=1000", "--set", "warmup_s=0",
                                       "--set", "timeseries_s=100", "--set", "workload.think_s=0",
                                       "-o", "r.json"};
  SECTION("wall time") {
    Result r = run_cli(d, concat(long_run, {"--max-wall-s", "0.5"}));
    CHECK(r.status == 3);
    CHECK_THAT(r.err, Contains("--max-wall-s"));
    json rep = parse_json(read_file(d / "r.json"));
    CHECK(rep["complete"] == false);
    CHECK_THAT(rep["incomplete_reason"].get<std::string>(), Contains("--max-wall-s"));
    double end = rep["window"]["end_s"];
    CHECK(end > 0);
    CHECK(end < 1000);
    CHECK(rep["throughput"]["forks_per_s"].get<double>() > 0);
  }
  SECTION("memory") {
    Result r = run_cli(d, concat(long_run, {"--max-memory-mb", "1"}));
    CHECK(r.status == 3);
    json rep = parse_json(read_file(d / "r.json"));
    CHECK(rep["complete"] == false);
    CHECK_THAT(rep["incomplete_reason"].get<std::string>(), Contains("--max-memory-mb"));
  }
}
