// Budgets that hold whatever the scenario: the engine's watch inside runs
// of events at one instant, the livelock stop, non-finite times refused,
// set-up and the drain watched, the report's size checked before the run,
// the default budget under cgroup and rlimit limits, and partial reports
// that claim only what was measured.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/wait.h>

#include "analysis/report.hpp"
#include "cli/memory_limits.hpp"
#include "cli/monitor.hpp"
#include "cli/report_budget.hpp"
#include "scenarios/workload.hpp"
#include "sim/coro.hpp"
#include "sim/engine.hpp"
#include "tests/support.hpp"

using namespace forksim;
using namespace forksim::test;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

// Never waits for a later time: every resumption is at t = 0.
Co<void> spin_at_one_instant(uint64_t& n) {
  for (;;) {
    ++n;
    co_await SimEngine::wait_for(0);  // a time not in the future: no wait at all
    struct Yield {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) { SimEngine::get().resume_soon(h); }
      void await_resume() const noexcept {}
    };
    co_await Yield{};
  }
}

Co<void> tick_every(double dt, uint64_t& n) {
  for (;;) {
    co_await SimEngine::wait_for(dt);
    ++n;
  }
}

}  // namespace

TEST_CASE("the engine's watch is called inside a run of events at one instant", "[budget][engine]") {
  SimEngine eng;
  uint64_t n = 0, calls = 0;
  eng.watch(100, UINT64_MAX, [&calls] { return ++calls == 5 ? std::string("enough") : ""; });
  spawn(spin_at_one_instant(n));
  eng.run_until(1.0);
  CHECK(eng.stopped());
  CHECK(eng.stop_reason() == "enough");
  CHECK(calls == 5);
  // Stopped at the fifth check, 5 x 100 resumptions in (the spawn's first
  // resumption among them).
  CHECK(eng.resumptions() == 500);
  CHECK(SimEngine::now() == 0);
  // A stopped engine runs no more.
  eng.run_until(2.0);
  CHECK(eng.resumptions() == 500);
}

TEST_CASE("events at one instant beyond the bound stop the run as a livelock", "[budget][engine]") {
  SimEngine eng;
  uint64_t n = 0;
  eng.watch(64, 10000, [] { return std::string(); });
  spawn(spin_at_one_instant(n));
  eng.run_until(1.0);
  REQUIRE(eng.stopped());
  CHECK_THAT(eng.stop_reason(), Contains("no progress in simulated time") &&
                                    Contains("more than 10000 events at t = 0 s"));
  // The first check at the instant starts the count; the stop comes at the
  // first check past 10,000 more: within one interval of the bound.
  CHECK(eng.resumptions() > 10000);
  CHECK(eng.resumptions() <= 10000 + 2 * 64);
}

TEST_CASE("a clock that advances is not a livelock, however many events", "[budget][engine]") {
  SimEngine eng;
  uint64_t n = 0;
  eng.watch(16, 100, [] { return std::string(); });
  spawn(tick_every(1e-3, n));
  eng.run_until(10.0);
  CHECK_FALSE(eng.stopped());
  CHECK(n == 10000);  // ticks at 1 ms .. 10 s
}

TEST_CASE("a wait until a non-finite time is refused, not handed to SimGrid", "[budget][engine]") {
  // One engine per process: the NaN case is the CLI test's.
  SimEngine eng;
  uint64_t n = 0;
  spawn([](uint64_t& k) -> Co<void> {
    co_await SimEngine::wait_for(0.5);
    co_await SimEngine::wait_until(HUGE_VAL);
    ++k;
  }(n));
  CHECK_THROWS_WITH(eng.run_until(1.0), Contains("not a finite time"));
  CHECK(n == 0);
}

TEST_CASE("a zero-cost loop stops as a livelock, with a report that claims nothing more",
          "[budget][model]") {
  Scenario s = scenario(json::object(), {"costs={\"*\": 0}", "workload.think_s=0",
                                         "workload.child.lifetime_s=0", "workload.parents=4"});
  RunOptions opt;
  opt.max_events_at_instant = 200000;
  uint64_t calls = 0;
  opt.monitor = [&calls](const RunStatus&) {
    ++calls;
    return std::string();
  };
  Probes p = run_scenario(s, opt);
  CHECK_FALSE(p.complete);
  CHECK_THAT(p.incomplete_reason, Contains("no progress in simulated time"));
  CHECK(p.incomplete_phase == "run");
  CHECK(p.sim_time_s == 0);
  CHECK(p.engine_events > 200000);
  CHECK(p.engine_events < 200000 + 3 * 4096);
  CHECK(calls >= 200000 / 4096);
  RunInfo info;
  info.scenario = s.to_json();
  info.sim_time_s = p.sim_time_s;
  json r = make_report(info, p);
  CHECK_FALSE(r.contains("invariants"));
  CHECK(r["incomplete_phase"] == "run");
  CHECK(r["window"]["length_s"] == 0.0);
}

TEST_CASE("set-up is watched: a stop there leaves no event run", "[budget][model]") {
  Scenario s = scenario(json::object(), {"workload.parents=20", "workload.parent.lwps=5000",
                                         "workload.parent.forking_lwps=5000"});
  RunOptions opt;
  std::map<std::string, int> phases;
  opt.monitor = [&phases](const RunStatus& st) {
    ++phases[st.phase];
    return phases["set-up"] == 3 ? std::string("stop in set-up") : "";
  };
  Probes p = run_scenario(s, opt);
  CHECK_FALSE(p.complete);
  CHECK(p.incomplete_phase == "set-up");
  CHECK(p.incomplete_reason == "stop in set-up");
  CHECK(phases.size() == 1);
  CHECK(p.engine_events == 0);
}

TEST_CASE("the drain is watched, and a stop there keeps the measured window", "[budget][model]") {
  // Children with 50,000 s of CPU work each: the run's 1 s window ends, the
  // drain would last for hours of simulated time.
  Scenario s = scenario(json::object(), {"duration_s=1", "warmup_s=0.1", "workload.parents=2",
                                         "workload.child.cpu_s=5e4"});
  RunOptions opt;
  opt.monitor = [](const RunStatus& st) {
    return std::string(st.phase) == "drain" && st.sim_time_s > 100 ? "drain too long" : "";
  };
  Probes p = run_scenario(s, opt);
  CHECK_FALSE(p.complete);
  CHECK(p.incomplete_phase == "drain");
  CHECK(p.window_end_s == 1.0);
  CHECK(p.sim_time_s > 100);
}

TEST_CASE("a report that would outgrow the memory budget is refused before the run",
          "[budget][report]") {
  Scenario s = scenario(json::object(), {"duration_s=10", "warmup_s=1", "timeseries_s=0.001"});
  CHECK(timeseries_samples(s) == 10001);
  // The budget that holds exactly 10,001 samples in its report share, and
  // one that holds one fewer.
  const double exact_mb = 10001 * kBytesPerSample / kReportShareOfBudget / (1024 * 1024);
  CHECK_NOTHROW(check_report_fits(s, exact_mb));
  CHECK_THROWS_WITH(check_report_fits(s, exact_mb * 10000 / 10001),
                    Contains("timeseries_s: asks for 1e+04 samples") &&
                        Contains("make timeseries_s at least"));
  CHECK_NOTHROW(check_report_fits(s, 0));  // no budget
  Scenario huge = scenario(json::object(), {"duration_s=1e12", "timeseries_s=1e-9"});
  CHECK(timeseries_samples(huge) == UINT64_MAX);
  CHECK_THROWS_AS(check_report_fits(huge, 1e6), ScenarioError);
}

TEST_CASE("the memory cgroup's limit is the smallest on the way up", "[budget][limits]") {
  std::map<std::string, std::string> files = {
      {"/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", "9223372036854771712\n"},
      {"/sys/fs/cgroup/memory/a/memory.limit_in_bytes", "1073741824\n"},
      {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"},
      {"/sys/fs/cgroup/c/memory.max", "max\n"},
      {"/sys/fs/cgroup/memory.max", "536870912\n"},
  };
  FileReader read = [&files](const std::string& p) -> std::optional<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  // v1: the parent's 1 GiB limits its unlimited child.
  CHECK(cgroup_memory_limit_bytes("4:memory:/a/b\n3:cpu:/\n", read) == 1073741824.0);
  // v2: "max" is no limit; the root's 512 MiB is.
  CHECK(cgroup_memory_limit_bytes("0::/c\n", read) == 536870912.0);
  // Both hierarchies: the smaller wins.
  CHECK(cgroup_memory_limit_bytes("4:memory:/a/b\n0::/c\n", read) == 536870912.0);
  // v1's "unlimited" everywhere, or nothing readable: no limit.
  CHECK(cgroup_memory_limit_bytes("4:memory:/\n", read) == 0);
  CHECK(cgroup_memory_limit_bytes("4:memory:/x\n", [](const std::string&) {
          return std::optional<std::string>();
        }) == 0);
  CHECK(cgroup_memory_limit_bytes("garbage\n\n", read) == 0);
}

TEST_CASE("the default budget is 80% of the smallest limit", "[budget][limits]") {
  MemoryLimits l;
  l.ram_mb = 24000;
  CHECK(default_memory_budget_mb(l) == Approx(19200));
  CHECK(l.smallest_name() == "physical memory");
  l.cgroup_mb = 8000;
  CHECK(default_memory_budget_mb(l) == Approx(6400));
  CHECK(l.smallest_name() == "the memory cgroup's limit");
  l.rlimit_as_mb = 1000;
  CHECK(default_memory_budget_mb(l) == Approx(800));
  CHECK(default_virtual_budget_mb(l) == Approx(900));
  CHECK(l.smallest_name() == "RLIMIT_AS (ulimit -v)");
}

// The commands of issue 8, run as a user types them.
TEST_CASE("budgets hold for the scenarios that used to escape them", "[budget][cli]") {
  TempDir d;
  auto report = [&d] { return nlohmann::json::parse(read_file(d / "r.json")); };
  SECTION("a run a billion seconds long stops at its wall budget, inside a slice") {
    // A sample every 1e6 s: the default 0.1 s would ask for a report of
    // 1e10 samples, which is refused up front (below).
    Result r = run_cli(d, {"run", "--quiet", "--set", "duration_s=1e9", "--set", "warmup_s=0", "--set", "timeseries_s=1e6",
                           "--max-wall-s", "1", "-o", "r.json"});
    CHECK(r.status == 3);
    json rep = report();
    CHECK(rep["complete"] == false);
    CHECK(rep["incomplete_phase"] == "run");
    // The time reached, not the time asked for; the window ends there.
    double reached = rep["sim_time_s"];
    CHECK(reached < 1e6);  // a slice is 1e6 s long: the stop came inside the first
    CHECK(rep["window"]["end_s"].get<double>() == reached);
    CHECK_FALSE(rep.contains("invariants"));
  }
  SECTION("a drain of hours of CPU work stops at the wall budget, marked incomplete") {
    Result r = run_cli(d, {"run", "--quiet", "--set", "workload.child.cpu_s=5e4", "--max-wall-s",
                           "1", "-o", "r.json"});
    CHECK(r.status == 3);
    json rep = report();
    CHECK(rep["complete"] == false);
    CHECK(rep["incomplete_phase"] == "drain");
    CHECK(rep["window"]["end_s"] == 10.0);
  }
  SECTION("an open workload at 1e12 requests per second stops at its memory budget") {
    Result r = run_cli(d, {"run", "--quiet", "--set", "workload.type=open", "--set",
                           "workload.rate_per_s=1e12", "--max-memory-mb", "200", "-o", "r.json"});
    CHECK(r.status == 3);
    CHECK_THAT(report()["incomplete_reason"].get<std::string>(),
               Contains("passed the memory budget of 200.0 MB (--max-memory-mb)"));
  }
  SECTION("ten million forking threads stop in set-up at the memory budget") {
    Result r = run_cli(d, {"run", "--quiet", "--set", "workload.parents=100", "--set",
                           "workload.parent.lwps=100000", "--set",
                           "workload.parent.forking_lwps=100000", "--max-memory-mb", "200", "-o",
                           "r.json"});
    CHECK(r.status == 3);
    CHECK(report()["incomplete_phase"] == "set-up");
  }
  SECTION("a time series of ten billion samples is refused up front, naming timeseries_s") {
    Result r = run_cli(d, {"run", "--quiet", "--set", "timeseries_s=1e-9", "-o", "r.json"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("timeseries_s: asks for 1e+10 samples"));
    CHECK_FALSE(std::filesystem::exists(d / "r.json"));
  }
  SECTION("a distribution whose draws overflow is refused, never reaching SimGrid") {
    // Refused by the scenario's bounds, naming the key (SimGrid aborted on
    // the NaN it gave, exit 134); were one to pass, the engine refuses the
    // time (the engine test above).
    Result r = run_cli(d, {"run", "--quiet", "--set",
                           "workload.think_s={\"dist\":\"lognormal\",\"mean\":0.01,\"cv\":1e200}",
                           "-o", "r.json"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("workload.think_s.cv"));
    CHECK_FALSE(std::filesystem::exists(d / "r.json"));
  }
}

TEST_CASE("under ulimit -v the default budget stops the run with its report", "[budget][cli]") {
#ifdef FORKSIM_SANITIZED
  WARN("skipped in a sanitizer build: ASan reserves terabytes of shadow address space, "
       "so the binary cannot start under ulimit -v");
  return;
#endif
  TempDir d;
  // About 1 GB of address space: the open workload's queue outgrows it in
  // well under a second.
  std::string cmd = "cd '" + d.path.string() + "' && ulimit -v 1000000 && '" FORKSIM_BINARY
                    "' run --quiet --set workload.type=open --set workload.rate_per_s=1e12 "
                    "-o r.json 2>err.txt";
  int w = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(w));
  INFO(read_file(d / "err.txt"));
  CHECK(WEXITSTATUS(w) == 3);
  json rep = json::parse(read_file(d / "r.json"));
  CHECK_THAT(rep["incomplete_reason"].get<std::string>(), Contains("RLIMIT_AS"));
}
