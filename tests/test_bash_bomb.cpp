// The bash fork bomb as bash runs it (:(){ :|:& };:): each process makes
// fan_out children and exits, and bash's make_child retries EAGAIN after
// sleeping 1, 2, 4 and 8 s, then gives up (bash jobs.c make_child, with
// FORKSLEEP_MAX 16 in jobs.h). Its settings, its bad values, and the
// numbers they must give.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/support.hpp"

using nlohmann::json;
using namespace forksim;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::run_forksim;
using forksim::test::run_here;
using forksim::test::scenario;
using forksim::test::TempDir;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kBashBomb = {
    "workload.type=fork_bomb", "workload.fan_out=2", "workload.retry={\"policy\":\"bash\"}"};

std::vector<std::string> bomb_with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --set arguments for run_forksim.
std::vector<std::string> bomb_sets(const std::vector<std::string>& assignments) {
  std::vector<std::string> args;
  for (const auto& a : assignments) args.insert(args.end(), {"--set", a});
  return args;
}

}  // namespace

TEST_CASE("bash bomb settings resolve and round-trip", "[scenario][bomb]") {
  Scenario s = scenario(json::object(), bomb_with(kBashBomb, {"workload.exit_after_fork=true"}));
  CHECK(s.workload.fan_out == 2);
  CHECK(s.workload.exit_after_fork);
  CHECK(s.workload.retry.kind == RetryPolicy::Kind::Bash);
  json w = s.to_json()["workload"];
  CHECK(w["retry"] == json{{"policy", "bash"}, {"jitter", 0.0}});  // no delay fields: bash's own
  CHECK(w["fan_out"] == 2);
  CHECK(parse_scenario(s.to_json()).to_json() == s.to_json());
  Scenario j = scenario(json::object(),
                        {"workload.type=fork_bomb",
                         "workload.retry={\"policy\":\"fixed\",\"delay_s\":0.5,\"jitter\":0.25}"});
  CHECK(j.workload.retry.jitter == 0.25);
}

// Each bad value by its command: exit 2, the key and the reason on stderr,
// nothing on stdout.
TEST_CASE("bad bash bomb values exit 2 naming the key", "[cli][bomb]") {
  TempDir d;
  struct Case {
    std::string set;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases = {
      {"workload.fan_out=0", {"workload.fan_out", "must be >= 1, got 0"}},
      {"workload.fan_out=1.5", {"workload.fan_out", "expected an integer"}},
      {"workload.retry={\"policy\":\"bash\",\"delay_s\":1}",
       {"workload.retry.delay_s", "not used by the bash retry policy"}},
      {"workload.retry={\"policy\":\"bash\",\"max_delay_s\":1}",
       {"workload.retry.max_delay_s", "not used by the bash retry policy"}},
      {"workload.retry={\"policy\":\"bash\",\"jitter\":1}",
       {"workload.retry.jitter", "must be >= 0 and < 1", "got 1"}},
      {"workload.retry={\"policy\":\"fixed\",\"jitter\":-0.1}",
       {"workload.retry.jitter", "must be >= 0, got -0.1"}},
      {"workload.retry={\"policy\":\"immediate\",\"jitter\":0.1}",
       {"workload.retry.jitter", "no delay to jitter"}},
      {"workload.retry={\"policy\":\"bsh\"}", {"workload.retry.policy", "did you mean \"bash\""}},
      {"workload.exit_after_fork=true", {"workload.exit_after_fork", "needs workload.fan_out"}},
      {"workload.exit_after_fork=1", {"workload.exit_after_fork", "expected a boolean"}},
  };
  for (const Case& c : cases) {
    INFO("--set " << c.set);
    Result r = run_cli(d, {"run", "--set", "workload.type=fork_bomb", "--set", c.set});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    INFO("stderr: " << r.err);
    for (const auto& m : c.message) CHECK_THAT(r.err, Contains(m));
  }
  // A closed workload has no bomb keys.
  Result r = run_cli(d, {"validate", "--set", "workload.fan_out=2"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("workload.fan_out") && Contains("applies only to fork_bomb"));
}

// Processes stay after their two forks (exit_after_fork false), so once the
// table is full only a process that gives up (and exits) frees a slot:
// every give-up comes after exactly bash's four sleeps, 15 s, and five
// failed attempts.
TEST_CASE("a bash bomb process gives up after sleeping 1, 2, 4 and 8 s", "[model][bomb]") {
  auto s = scenario(json::object(), bomb_with(kBashBomb, {"machine.ncpus=8", "tunables.max_nprocs=400",
                                                     "duration_s=40", "warmup_s=0"}));
  json r = run_here(s);
  const json& rt = r["retry"];
  uint64_t gave_up = rt["gave_up"];
  INFO(rt.dump());
  CHECK(gave_up > 100);
  CHECK(rt["gave_up_sleeps"] == 4 * gave_up);
  CHECK(rt["gave_up_sleep_s"]["count"] == gave_up);
  // 1 + 2 + 4 + 8 is exact in floating point: no tolerance.
  CHECK(rt["gave_up_sleep_s"]["mean"] == 15.0);
  CHECK(rt["gave_up_sleep_s"]["max"] == 15.0);
  // The other sleeps are those of children made in a slot a give-up freed.
  CHECK(rt["sleeps"].get<uint64_t>() >= rt["gave_up_sleeps"].get<uint64_t>());
  CHECK(r["paths"]["fork1"]["failures"]["EAGAIN"].get<uint64_t>() >= 5 * gave_up);
  CHECK(r["processes"]["nproc_end"] == 395);  // the bomb holds every per-user slot
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

// Before the kernel's rate or the table limits it, the bomb doubles each
// generation: generation g has 2^g processes. A millisecond of CPU at each
// child's start (costs.child_start) makes a generation last far longer than
// the pidlock sections of its forks, and 256 CPUs run them all at once; by
// generation 6 pidlock's forks per second cap the growth.
TEST_CASE("a bash bomb doubles per generation until the fork rate caps it", "[model][bomb]") {
  auto s = scenario(json::object(),
                    bomb_with(kBashBomb, {"workload.exit_after_fork=true", "machine.ncpus=256",
                                     "costs.child_start=1000000", "duration_s=0.012",
                                     "warmup_s=0", "timeseries_s=0.001"}));
  json r = run_here(s);
  const json& born = r["processes"]["born_by_generation"];
  INFO(born.dump());
  REQUIRE(born.size() > 8);
  for (int g = 0; g <= 5; ++g) CHECK(born[g] == (1u << g));
  bool capped = false;
  for (size_t g = 6; g < born.size(); ++g) {
    CHECK(born[g].get<uint64_t>() <= (uint64_t{1} << g));
    capped = capped || born[g].get<uint64_t>() < (uint64_t{1} << g);
  }
  CHECK(capped);
  // The table never filled: no fork failed.
  CHECK(r["paths"]["fork1"]["failures"].empty());
  CHECK(r["processes"]["nproc_max"].get<int>() < 30000);
  CHECK(r["invariants"]["drained"] == true);
}

// Jitter 0.1 multiplies each sleep by U[0.9, 1.1]: a give-up's four sleeps
// still total 15 s on average, now with a standard deviation of
// sqrt((1 + 4 + 16 + 64) * 0.2^2 / 12) = 0.53 s.
TEST_CASE("jitter spreads bash's retry sleeps around the same mean", "[model][bomb]") {
  json r = run_forksim(bomb_sets(bomb_with(kBashBomb, {"workload.retry.jitter=0.1", "machine.ncpus=8",
                                             "tunables.max_nprocs=400", "duration_s=40",
                                             "warmup_s=0"})));
  const json& h = r["retry"]["gave_up_sleep_s"];
  double n = h["count"];
  INFO(h.dump());
  REQUIRE(n > 100);
  const double sd = std::sqrt(85 * 0.04 / 12);
  CHECK(std::abs(h["mean"].get<double>() - 15) < 4 * sd / std::sqrt(n));
  CHECK(h["max"].get<double>() > 15.5);                 // spread out: no longer all 15 s
  CHECK(h["max"].get<double>() <= 16.5);                // within [0.9, 1.1] x 15
  CHECK(h["p90"].get<double>() - h["p50"].get<double>() > 0.3);  // 1.28 sd ~ 0.68 s
  CHECK(r["retry"]["gave_up_sleeps"] == 4 * r["retry"]["gave_up"].get<uint64_t>());
}

// Jitter on another policy: a fixed 50 ms sleep times U[0.5, 1.5] still
// averages 50 ms. The bomb forks for ever into a full table, so every
// attempt after the fill fails, backs off in the kernel and sleeps.
TEST_CASE("jitter leaves a fixed retry's mean sleep unchanged", "[model][bomb]") {
  auto s = scenario(json::object(),
                    {"workload.type=fork_bomb",
                     "workload.retry={\"policy\":\"fixed\",\"delay_s\":0.05,\"jitter\":0.5}",
                     "machine.ncpus=4", "tunables.max_nprocs=200", "duration_s=3", "warmup_s=1"});
  json r = run_here(s);
  const json& rt = r["retry"];
  double n = rt["sleeps"];
  INFO(rt.dump());
  REQUIRE(n > 500);  // 131 processes, each a 50 ms sleep and a 0.33 s backoff per round: 792
  // U[0.5, 1.5] x 50 ms has a standard deviation of 50 ms / sqrt(12).
  double sd = 0.05 / std::sqrt(12.0);
  CHECK(std::abs(rt["sleep_total_s"].get<double>() / n - 0.05) < 4 * sd / std::sqrt(n));
  CHECK(rt["gave_up"] == 0);  // only bash gives up
}

// What users read: the summary says which backoff ran when it is not
// illumos's, and how many processes gave up.
TEST_CASE("the summary names the backoff variant and the give-ups", "[cli][bomb]") {
  TempDir d;
  Result r = run_cli(d, {"run", "--set", "workload.type=fork_bomb", "--set", "workload.fan_out=2",
                         "--set", "workload.retry={\"policy\":\"bash\"}", "--set",
                         "kernel.fork_backoff={\"ticks\":3}", "--set", "machine.ncpus=8", "--set",
                         "tunables.max_nprocs=400", "--set", "duration_s=30", "--set", "warmup_s=0"});
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("kernel      fork_backoff {\"ticks\":3}\n"));
  CHECK_THAT(r.out, Contains(" processes gave up after ") && Contains("(mean 15.000 s each)\n"));
  Result def = run_cli(d, {"run", "--set", "workload.type=fork_bomb", "--set", "duration_s=0.2"});
  REQUIRE(def.status == 0);
  CHECK_THAT(def.out, !Contains("fork_backoff") && !Contains("gave up"));
}
