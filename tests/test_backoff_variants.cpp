// kernel.fork_backoff: getproc's backoff (fork.c 1182-1196) and its control
// arms. Each variant is named in `explain` and in the report, and changes
// the failure rate as its formula says. The bomb below: 4 CPUs at hz 100, a
// 400-slot table; the unprivileged bomb holds 331 slots (maxuprc 395 less
// the 64 system processes), all of them failing and retrying at once.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/support.hpp"

using nlohmann::json;
using namespace forksim;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::run_forksim;
using forksim::test::scenario;
using forksim::test::TempDir;
using Catch::Matchers::Contains;

namespace {

constexpr int kBombProcs = 331;

json bomb(const std::string& variant, double duration_s, double warmup_s) {
  return run_forksim({"--set", "workload.type=fork_bomb", "--set",
                      "workload.retry={\"policy\":\"immediate\"}", "--set", "machine.ncpus=4",
                      "--set", "tunables.max_nprocs=400", "--set",
                      "duration_s=" + std::to_string(duration_s), "--set",
                      "warmup_s=" + std::to_string(warmup_s), "--set",
                      "kernel.fork_backoff=" + variant});
}

double failure_rate(const json& r) { return r["backoff"]["failures_per_s"]; }

}  // namespace

TEST_CASE("kernel.fork_backoff variants resolve, round-trip and default to illumos",
          "[scenario][variants]") {
  CHECK(scenario(json::object()).kernel.fork_backoff.kind == ForkBackoff::Kind::Illumos);
  CHECK(scenario(json::object()).to_json()["kernel"] == json{{"fork_backoff", "illumos"}});
  for (const char* v : {"\"none\"", "{\"ticks\":5}", "{\"per_pending\":2.5}", "\"illumos\""}) {
    INFO(v);
    Scenario s = scenario(json::object(), {std::string("kernel.fork_backoff=") + v});
    CHECK(s.to_json()["kernel"]["fork_backoff"] == json::parse(v));
    CHECK(parse_scenario(s.to_json()).kernel == s.kernel);
  }
  ForkBackoff k{ForkBackoff::Kind::PerPending, 1, 2};
  CHECK(backoff_ticks(k, 331, 4) == 331 / 8 + 1);
  CHECK(backoff_ticks(ForkBackoff{}, 331, 4) == 331 / 4 + 1);
  CHECK(backoff_ticks(ForkBackoff{ForkBackoff::Kind::Ticks, 7, 1}, 331, 4) == 7);
  CHECK(backoff_ticks(ForkBackoff{ForkBackoff::Kind::None, 1, 1}, 331, 4) == 0);
}

TEST_CASE("bad kernel.fork_backoff values exit 2 naming the key", "[cli][variants]") {
  TempDir d;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"kernel.fork_backoff=linux", {"kernel.fork_backoff", "say \"illumos\", \"none\"", "\"linux\""}},
      {"kernel.fork_backoff=nnoe", {"kernel.fork_backoff", "did you mean \"none\""}},
      {"kernel.fork_backoff=3", {"kernel.fork_backoff", "got number"}},
      {"kernel.fork_backoff={\"ticks\":0}", {"kernel.fork_backoff.ticks", "between 1 and"}},
      {"kernel.fork_backoff={\"ticks\":2.5}", {"kernel.fork_backoff.ticks", "expected an integer"}},
      {"kernel.fork_backoff={\"per_pending\":0}", {"kernel.fork_backoff.per_pending", "between"}},
      {"kernel.fork_backoff={\"tick\":3}", {"kernel.fork_backoff.tick", "did you mean \"ticks\""}},
      {"kernel.fork_backoff={\"ticks\":1,\"per_pending\":1}",
       {"kernel.fork_backoff", "an object of 2 keys"}},
      {"kernel.fork_backof=none", {"kernel.fork_backof", "unknown key", "did you mean \"fork_backoff\""}},
  };
  for (const auto& [set, message] : cases) {
    INFO("--set " << set);
    Result r = run_cli(d, {"run", "--set", set});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    INFO("stderr: " << r.err);
    for (const auto& m : message) CHECK_THAT(r.err, Contains(m));
  }
}

TEST_CASE("explain names the backoff variant on the backoff's steps", "[cli][variants]") {
  TempDir d;
  Result def = run_cli(d, {"explain", "getproc_fail"});
  REQUIRE(def.status == 0);
  CHECK_THAT(def.out, Contains("1193 (fork_backoff: illumos)"));
  Result none = run_cli(d, {"explain", "getproc_fail", "--set", "kernel.fork_backoff=none"});
  CHECK_THAT(none.out, Contains("1193 (fork_backoff: none, not run)"));
  Result ticks = run_cli(d, {"explain", "--json", "--set", "kernel.fork_backoff={\"ticks\":5}"});
  REQUIRE(ticks.status == 0);
  int named = 0;
  for (const json& st : json::parse(ticks.out)) {
    const std::string name = st["name"], lines = st["lines"];
    bool backoff = name.rfind("backoff_", 0) == 0;
    INFO(name << ": " << lines);
    CHECK((lines.find("fork_backoff: ticks 5") != std::string::npos) == backoff);
    named += backoff;
  }
  CHECK(named == 3);
}

// illumos: each of the 331 sleeps 331/4 + 1 = 83 ticks, so together they
// fail 331 x 100 / 83 = 399 times a second: ncpus x hz = 400 (measured 403).
// none: nothing sleeps; the bomb fails as fast as its CPUs run the failing
// path (measured 513,000/s, all 4 CPUs busy), far beyond the cap.
TEST_CASE("without the backoff a bomb's failures are no longer capped at ncpus x hz",
          "[model][variants]") {
  json illumos = bomb("illumos", 3, 2);
  json none = bomb("none", 0.7, 0.5);
  INFO("illumos " << failure_rate(illumos) << "/s, none " << failure_rate(none) << "/s");
  CHECK(illumos["kernel"]["fork_backoff"] == "illumos");
  CHECK(none["kernel"]["fork_backoff"] == "none");
  CHECK(failure_rate(illumos) == Approx(400).epsilon(0.05));
  CHECK(failure_rate(none) > 5 * failure_rate(illumos));
  CHECK(failure_rate(none) > 100 * 400);
  CHECK(none["backoff"]["delays"] == 0);
  CHECK(none["backoff"]["fork_fail_pending_max"] == 0);  // nothing ever pends
  CHECK(none["cpu"]["utilization"].get<double>() > 0.95);
  CHECK(illumos["cpu"]["utilization"].get<double>() < 0.05);
  for (const json* r : {&illumos, &none}) {
    CHECK((*r)["processes"]["nproc_end"] == 64 + kBombProcs);
    CHECK((*r)["invariants"]["drained"] == true);
  }
}

// {"ticks": N}: every process sleeps until the N-th tick after its failure and
// retries at the tick it wakes on, so the 331 fail together once each N ticks: at the
// 1 s window's 100/N + 1 tick instants (both ends counted), 331 each.
// {"per_pending": k}: 331 / (4k) + 1 ticks, near k x ncpus x hz.
TEST_CASE("a fixed or scaled backoff fails at the rate its formula gives", "[model][variants]") {
  for (int n : {2, 10}) {
    json r = bomb("{\"ticks\":" + std::to_string(n) + "}", 3, 2);
    INFO("ticks " << n << ": " << failure_rate(r) << "/s");
    CHECK(r["kernel"]["fork_backoff"] == json{{"ticks", n}});
    CHECK(r["backoff"]["failures"] == kBombProcs * (100 / n + 1));
    // Each sleep ends on the N-th tick boundary after it began; it began
    // when its CPU had run the failing path, a little into the tick (331
    // processes share 4 CPUs: measured 0.44 ms on average).
    double mean_delay = r["backoff"]["delay_total_s"].get<double>() / r["backoff"]["delays"].get<double>();
    CHECK(mean_delay <= n / 100.0 + 1e-12);
    CHECK(mean_delay > (n - 0.1) / 100.0);
  }
  json k2 = bomb("{\"per_pending\":2}", 3, 2);
  double expected = kBombProcs * 100.0 / (kBombProcs / 8 + 1);  // 788
  CHECK(failure_rate(k2) == Approx(expected).epsilon(0.02));
  CHECK(failure_rate(k2) == Approx(2 * 4 * 100).epsilon(0.05));
}
