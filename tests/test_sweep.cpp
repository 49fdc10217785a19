// `forksim sweep` by its command: the result and its CSV, common random
// numbers, validation of every point before any run, --zip, the output
// rules, SIGINT part-way, and --replay of replicated and sweep results.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <functional>

#include "analysis/stats.hpp"
#include "tests/support.hpp"

using forksim::test::concat;
using forksim::test::lines;
using forksim::test::names_in;
using forksim::test::read_file;
using forksim::test::run_cli;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

const std::vector<std::string> kShort = {"--set", "duration_s=0.3", "--set", "timeseries_s=0.1", "-q"};

}  // namespace

TEST_CASE("a sweep runs every combination with the same seeds at every point, and its CSV",
          "[sweep][cli]") {
  TempDir d;
  auto r = run_cli(d, concat({"sweep", "--vary", "workload.parents=4,8", "--vary", "machine.ncpus=1:2:1",
                              "--replications", "2", "--seed", "5", "-o", "s.json", "--csv", "s.csv"},
                             kShort));
  INFO(r.err);
  REQUIRE(r.status == 2);  // --seed is not a sweep option: --set seed=5
  CHECK(r.err.find("--seed") != std::string::npos);
  r = run_cli(d, concat({"sweep", "--vary", "workload.parents=4,8", "--vary", "machine.ncpus=1:2:1",
                         "--replications", "2", "--set", "seed=5", "-o", "s.json", "--csv", "s.csv"},
                        kShort));
  REQUIRE(r.status == 0);
  CHECK(names_in(d.path) == std::set<std::string>{"s.json", "s.csv"});  // the .partial.jsonl removed
  json s = json::parse(read_file(d / "s.json"));
  CHECK(s["kind"] == "sweep");
  CHECK(s["complete"] == true);
  CHECK(s["sweep"]["vary"] == json::parse(R"([{"key": "workload.parents", "values": [4, 8]},
                                              {"key": "machine.ncpus", "values": [1, 2]}])"));
  CHECK(s["sweep"]["zip"] == false);
  CHECK(s["sweep"]["replications"] == 2);
  CHECK(s["sweep"]["precision"].is_null());
  CHECK(s["sweep"]["seeds"] == json{5, 6});
  CHECK(s["sweep"]["points"] == 4);
  REQUIRE(s["points"].size() == 4);
  const json& p2 = s["points"][2];
  CHECK(p2["index"] == 2);
  CHECK(p2["overrides"] == json{{"workload.parents", 8}, {"machine.ncpus", 1}});
  CHECK(p2["sets"] == json{"workload.parents=8", "machine.ncpus=1"});
  for (const json& p : s["points"]) {
    CHECK(p["replications"]["seeds"] == json{5, 6});  // common random numbers
    REQUIRE(p["runs"].size() == 2);
    CHECK(p["runs"][1]["seed"] == 6);
    CHECK(p["runs"][0]["scenario"]["workload"]["parents"] == p["overrides"]["workload.parents"]);
  }
  std::vector<std::string> csv = lines(read_file(d / "s.csv"));
  REQUIRE(!csv.empty());
  CHECK(csv[0] == "workload.parents,machine.ncpus,metric,mean,half_width,n");
  const std::size_t metrics = s["points"][0]["metrics"].size();
  CHECK(csv.size() == 1 + 4 * metrics);
  const json& tp = p2["metrics"]["throughput.forks_per_s"];
  std::string row = "8,1,throughput.forks_per_s," + tp["mean"].dump() + "," + tp["half_width"].dump() + ",2";
  CHECK(std::find(csv.begin(), csv.end(), row) != csv.end());
}

TEST_CASE("every sweep point is checked before anything runs, and a bad one is named", "[sweep][cli]") {
  TempDir d;
  forksim::test::write_text(d / "s.json", "old\n");
  auto r = run_cli(d, concat({"sweep", "--vary", "workload.parents=4,0", "-o", "s.json"}, kShort));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim: sweep point 1 (workload.parents=0): workload.parents: must be >= 1, got 0\n");
  CHECK(read_file(d / "s.json") == "old\n");
  CHECK(names_in(d.path) == std::set<std::string>{"s.json"});

  auto key = run_cli(d, concat({"sweep", "--vary", "machine.ncpu=1,2", "-o", "t.json"}, kShort));
  CHECK(key.status == 2);
  CHECK(key.err.find("forksim: sweep point 0 (machine.ncpu=1): machine.ncpu: unknown key") == 0);
  CHECK(key.err.find("did you mean \"ncpus\"") != std::string::npos);

  auto zip = run_cli(d, concat({"sweep", "--vary", "workload.parents=1,2", "--vary", "machine.ncpus=1,2,4",
                                "--zip", "-o", "t.json"}, kShort));
  CHECK(zip.status == 2);
  CHECK(zip.err == "forksim: --zip: the lists must be equally long: workload.parents has 2 values, "
                   "machine.ncpus has 3\n");
  auto no_o = run_cli(d, concat({"sweep", "--vary", "workload.parents=1,2"}, kShort));
  CHECK(no_o.status == 2);
  CHECK(no_o.err == "forksim sweep: needs -o FILE for the result\n");
  auto dash = run_cli(d, concat({"sweep", "--vary", "workload.parents=1,2", "-o", "-"}, kShort));
  CHECK(dash.status == 2);
  CHECK(dash.err.find("forksim sweep: -o must name a file") == 0);
  auto none = run_cli(d, concat({"sweep", "-o", "t.json"}, kShort));
  CHECK(none.status == 2);
  CHECK(none.err == "forksim sweep: needs at least one --vary KEY=LIST\n");
  auto metric = run_cli(d, concat({"sweep", "--vary", "workload.parents=1", "--precision", "0.1", "--metric",
                                   "cpu.utilisation", "-o", "t.json"}, kShort));
  CHECK(metric.status == 2);
  CHECK(metric.err.find("forksim sweep: --metric: unknown metric \"cpu.utilisation\"") == 0);
  CHECK(metric.err.find("did you mean \"cpu.utilization\"?") != std::string::npos);
  CHECK(names_in(d.path) == std::set<std::string>{"s.json"});
  // The capacity options' metrics too, on the first report: no partial file
  // that would block the next sweep to this -o.
  auto knee = run_cli(d, concat({"sweep", "--vary", "workload.parents=1,2", "--knee-metric",
                                 "throughput.fork_per_s", "-o", "t.json"}, kShort));
  CHECK(knee.status == 2);
  CHECK(knee.err.find("forksim sweep: --knee-metric: unknown metric \"throughput.fork_per_s\"") == 0);
  auto slo = run_cli(d, concat({"sweep", "--vary", "workload.parents=1,2", "--slo",
                                "paths.fork1.latency_s.p99.9<=0.001", "-o", "t.json"}, kShort));
  CHECK(slo.status == 2);
  CHECK(slo.err.find("forksim sweep: --slo: unknown metric \"paths.fork1.latency_s.p99.9\"") == 0);
  CHECK(names_in(d.path) == std::set<std::string>{"s.json"});
  auto percent = run_cli(d, concat({"sweep", "--vary", "workload.parents=1", "--precision", "2",
                                    "-o", "t.json"}, kShort));
  CHECK(percent.status == 2);
  CHECK(percent.err ==
        "forksim: --precision: must be a relative half-width between 0 and 1 (0.02 for 2%), got 2\n");
  forksim::test::write_text(d / "t.json.partial.jsonl", "{}\n");
  auto left = run_cli(d, concat({"sweep", "--vary", "workload.parents=1", "-o", "t.json"}, kShort));
  CHECK(left.status == 2);
  // Not a log a sweep wrote (tests/test_sweep_resume.cpp resumes those).
  CHECK(left.err == "forksim: -o: t.json.partial.jsonl: line 1 is not a forksim partial log header; "
                    "move it away or choose another -o\n");
  CHECK(read_file(d / "t.json.partial.jsonl") == "{}\n");
  CHECK(names_in(d.path) == std::set<std::string>{"s.json", "t.json.partial.jsonl"});
}

TEST_CASE("a sweep with --zip varies the keys in lock-step", "[sweep][cli]") {
  TempDir d;
  auto r = run_cli(d, concat({"sweep", "--vary", "workload.parents=2,4", "--vary",
                              "kernel.fork_backoff=illumos,none", "--zip", "--replications", "1",
                              "-o", "z.json", "--csv", "z.csv"}, kShort));
  INFO(r.err);
  REQUIRE(r.status == 0);
  json z = json::parse(read_file(d / "z.json"));
  REQUIRE(z["points"].size() == 2);
  CHECK(z["points"][1]["overrides"] == json{{"workload.parents", 4}, {"kernel.fork_backoff", "none"}});
  CHECK(z["points"][1]["runs"][0]["scenario"]["kernel"]["fork_backoff"] == "none");
  CHECK(z["points"][0]["metrics"]["throughput.forks_per_s"]["half_width"].is_null());
  std::vector<std::string> csv = lines(read_file(d / "z.csv"));
  CHECK(csv[0] == "workload.parents,kernel.fork_backoff,metric,mean,half_width,n");
  CHECK(csv[1].rfind("2,illumos,", 0) == 0);
  CHECK(csv[1].substr(csv[1].size() - 3) == ",,1");  // no half-width from one replication
}

TEST_CASE("a sweep with --precision stops each point by its own interval", "[sweep][cli]") {
  TempDir d;
  auto r = run_cli(d, concat({"sweep", "--vary", "workload.parents=8,16", "--precision", "0.5", "-o", "p.json"},
                             kShort));
  INFO(r.err);
  REQUIRE(r.status == 0);
  json s = json::parse(read_file(d / "p.json"));
  CHECK(s["sweep"]["precision"] ==
        json{{"target", 0.5}, {"metric", "throughput.forks_per_s"}, {"max_replications", 50}});
  CHECK(s["sweep"]["seeds"] == json{1, 2, 3, 4, 5});
  for (const json& p : s["points"]) {
    CHECK(p["replications"]["n"] == 5);
    CHECK(p["replications"]["stopped"]["reason"] == "precision reached");
  }
}

namespace {

// SIGINT once `ready` says so; the exit status.
int interrupt_cli(const TempDir& dir, std::vector<std::string> args, const std::function<bool()>& ready) {
  return forksim::test::run_cli_until(dir, std::move(args), [&](int) { return ready(); },
                                      [](int pid) { kill(pid, SIGINT); });
}

}  // namespace

TEST_CASE("a sweep stopped by SIGINT keeps its finished points and leaves -o alone", "[sweep][cli]") {
  TempDir d;
  forksim::test::write_text(d / "s.json", "the old result\n");
  const auto jsonl = d / "s.json.partial.jsonl";
  // Points of about a second each, run one at a time.
  int status = interrupt_cli(d, {"sweep", "--vary", "workload.parents=4:40:4", "--replications", "1",
                                 "--jobs", "1", "-q", "-o", "s.json", "--set", "duration_s=15",
                                 "--set", "timeseries_s=1"},
                             [&] { return lines(read_file(jsonl)).size() >= 3; });
  CHECK(status == 130);
  std::string err = read_file(d / ".stderr");
  std::vector<std::string> done = lines(read_file(jsonl));
  CHECK(json::parse(done.at(0))["partial_log"] == 1);  // the header (the sweep's definition)
  done.erase(done.begin());
  CHECK(done.size() >= 2);
  CHECK(done.size() < 10);
  CHECK(err == "forksim sweep: interrupted by SIGINT; the " + std::to_string(done.size()) +
                   " finished or failed points are in s.json.partial.jsonl; s.json was not written\n");
  for (std::size_t i = 0; i < done.size(); ++i) {
    json p = json::parse(done[i]);
    CHECK(p["index"] == i);
    CHECK(p["runs"].size() == 1);
    CHECK(p["runs"][0]["complete"] == true);
  }
  CHECK(read_file(d / "s.json") == "the old result\n");
}

TEST_CASE("replications stopped by SIGINT write nothing over -o and exit 130", "[replications][cli]") {
  TempDir d;
  forksim::test::write_text(d / "r.json", "the old result\n");
  auto t0 = std::chrono::steady_clock::now();
  int status = interrupt_cli(d, {"run", "--replications", "6", "--jobs", "2", "-q", "-o", "r.json",
                                 "--set", "duration_s=30", "--set", "timeseries_s=1", "--progress", "on"},
                             [&] { return std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(700); });
  CHECK(status == 130);
  std::string err = read_file(d / ".stderr");
  CHECK(err.find("\rruns 0/6, 0 s") == 0);  // the progress line
  CHECK(err.find("forksim run: interrupted by SIGINT after ") != std::string::npos);
  const std::string tail = " finished replications; nothing written\n";
  CHECK(err.substr(err.size() - tail.size()) == tail);
  CHECK(read_file(d / "r.json") == "the old result\n");
}

TEST_CASE("run --replay reruns a replicated run or a sweep and says whether every figure matches",
          "[sweep][replications][cli]") {
  TempDir d;
  REQUIRE(run_cli(d, concat({"run", "--replications", "2", "-o", "r.json"}, kShort)).status == 0);
  REQUIRE(run_cli(d, concat({"sweep", "--vary", "machine.ncpus=2,4", "--replications", "2", "-o", "s.json"},
                            kShort)).status == 0);
  auto same = run_cli(d, {"run", "--replay", "r.json"});
  CHECK(same.status == 0);
  CHECK(same.out.find("replay: 2 runs rerun, ") == 0);
  CHECK(same.out.find(" metrics match\n") != std::string::npos);
  auto sweep = run_cli(d, {"run", "--replay", "s.json"});
  CHECK(sweep.status == 0);
  CHECK(sweep.out.find("replay: 4 runs rerun, ") == 0);

  json s = json::parse(read_file(d / "s.json"));
  double x = s["points"][1]["runs"][0]["throughput"]["forks_per_s"];
  s["points"][1]["runs"][0]["throughput"]["forks_per_s"] = x + 1;
  forksim::test::write_text(d / "bad.json", s.dump());
  auto differ = run_cli(d, {"run", "--replay", "bad.json"});
  CHECK(differ.status == 1);
  CHECK(differ.out == "replay: 1 of 4 runs differ; the first differences:\n"
                      "  point 1 (machine.ncpus=4), replication 0: throughput.forks_per_s: recorded " +
                          json(x + 1).dump() + ", replayed " + json(x).dump() + "\n");

  s["points"][0]["replications"]["seeds"] = json{1, 7};
  forksim::test::write_text(d / "seeds.json", s.dump());
  auto seeds = run_cli(d, {"run", "--replay", "seeds.json"});
  CHECK(seeds.status == 2);
  CHECK(seeds.err == "forksim run: seeds.json: point 0 (machine.ncpus=2), replication 1: its seed is not "
                     "the one replications.seeds gives\n");
  json r = json::parse(read_file(d / "r.json"));
  r["runs"].erase(1);
  forksim::test::write_text(d / "short.json", r.dump());
  auto short_runs = run_cli(d, {"run", "--replay", "short.json"});
  CHECK(short_runs.status == 2);
  CHECK(short_runs.err == "forksim run: short.json: \"replications.seeds\" does not list one seed per run\n");
  auto with_set = run_cli(d, {"run", "--replay", "r.json", "--set", "seed=2"});
  CHECK(with_set.status == 2);
}

// The knee, the USL and the SLO answer by the command, on the closed loop of
// 256 shells that saturates between 16 and 64 CPUs (README's knee table):
// the knee is found inside the range, the USL fits with a peak, and the
// SLO answer is a load the sweep's own points bracket.
TEST_CASE("a sweep over machine.ncpus gives its knee, the USL fit and the summary lines",
          "[sweep][cli][capacity][long]") {
  TempDir d;
  auto r = run_cli(d, {"sweep", "--vary", "machine.ncpus=2:64:x2", "--set", "workload.parents=256",
                       "--set", "workload.think_s=0", "--set", "workload.child.lifetime_s=0",
                       "--set", "duration_s=0.6", "--set", "warmup_s=0.2", "--replications", "2",
                       "-o", "n.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  json s = json::parse(read_file(d / "n.json"));
  REQUIRE(s["knee"]["found"] == true);
  CHECK(s["knee"]["x"].get<double>() >= 8);
  CHECK(s["knee"]["x"].get<double>() <= 32);
  CHECK(s["knee"]["bottleneck"]["resource"].is_string());
  CHECK(s["usl"]["r2"].get<double>() > 0.99);
  CHECK(s["usl"]["peak_ncpus"].get<double>() > 16);
  CHECK(r.out.find("knee of throughput.forks_per_s (Kneedle (Satopaa et al. 2011)): machine.ncpus=") !=
        std::string::npos);
  CHECK(r.out.find("USL fit: sigma ") != std::string::npos);
  CHECK_FALSE(s.contains("slo"));
}

TEST_CASE("a sweep with --slo answers with the highest load meeting it, between two points",
          "[sweep][cli][capacity][long]") {
  TempDir d;
  auto r = run_cli(d, concat({"sweep", "--vary", "workload.parents=8:64:x2", "--set",
                              "workload.think_s=0.001", "--set", "workload.child.lifetime_s=0",
                              "--set", "duration_s=0.6", "--set", "warmup_s=0.2", "--replications",
                              "3", "--slo", "paths.fork1.latency_s.p99<=0.0005", "-o", "slo.json"},
                             {}));
  INFO(r.err);
  REQUIRE(r.status == 0);
  json s = json::parse(read_file(d / "slo.json"));
  const json& o = s["slo"];
  INFO(o.dump());
  REQUIRE(o["answer"].is_number());
  CHECK(o["decided"] == true);
  // Every point's own p99 says which side of the bound it is on; the
  // answer lies between the highest swept point under it and the next.
  double below = 0, above = 1e9;
  for (const json& p : s["points"]) {
    double x = p["overrides"]["workload.parents"], p99 = p["metrics"]["paths.fork1.latency_s.p99"]["mean"];
    if (p99 <= 0.0005) below = std::max(below, x);
    else above = std::min(above, x);
  }
  CHECK(o["answer"].get<double>() >= below);
  CHECK(o["answer"].get<double>() < above);
  CHECK(r.out.find("SLO paths.fork1.latency_s.p99<=0.0005: highest workload.parents meeting it with 95% "
                   "confidence: ") != std::string::npos);
  auto bad = run_cli(d, concat({"sweep", "--vary", "workload.parents=8,16", "--slo",
                                "paths.fork1.latency_s.p99<0.0005", "-o", "bad.json"}, kShort));
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--slo") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d / "bad.json"));
}
