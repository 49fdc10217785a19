// The service workload: worker LWPs serving Poisson requests, held by their
// process's forks. Forks off, it is an M/M/c queue (Erlang C); forks on,
// every hold of the workers lasts exactly the fork's holdlwps-to-continuelwps
// interval, and a request in the system during one is late by exactly it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.hpp"
#include "scenarios/workload.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using forksim::Probes;
using forksim::RunOptions;
using forksim::Stream;
using forksim::test::run_cli;
using forksim::test::run_forksim;
using forksim::test::scenario;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

std::string service_workload(const json& extra) {
  json w = {{"type", "service"}};
  w.update(extra);
  return "workload=" + w.dump();
}

// Free costs but the one whose time the test controls.
const char* kFreeCosts = R"(costs={"*": 0, "as_dup_page": 1000})";

}  // namespace

// M/M/4 at rho 0.75: 4 workers, exponential service of mean 1 ms, 3,000
// requests/s, 8 CPUs (the workers never wait for one) and free costs (no
// context switch lengthens a request). Erlang C gives the mean response
// S + C(4, 3) S / (4 - 3) = 1.509 ms. Eight independent replications (seeds
// 1-8, 10 s each, about 27,000 requests each) give the run's statistical
// error: the mean of their means must be within 4 standard errors of
// theory (Student t with 7 degrees of freedom: a correct model fails it
// for about one seed set in 200, and the seeds are fixed) and within 3%.
// Little's law ties the reported queue length to the wait: mean queue =
// offered rate x mean wait, within 2% (edge effects of a 9 s window).
TEST_CASE("a service without forks is an M/M/c queue of its workers (Erlang C)",
          "[service][queueing]") {
  const int c = 4;
  const double S = 1e-3, lambda = 3000, a = lambda * S;
  const double theory = S + forksim::test::erlang_c(c, a) * S / (c - a);
  std::vector<double> means;
  for (int seed = 1; seed <= 8; ++seed) {
    json r = run_forksim({"--set", service_workload({{"rate_per_s", lambda},
                                                     {"service_s", {{"dist", "exponential"},
                                                                    {"mean", S}}},
                                                     {"parent", {{"lwps", c}}}}),
                          "--set", "machine.ncpus=8", "--set", "costs={\"*\": 0}", "--set",
                          "duration_s=10", "--seed", std::to_string(seed)});
    const json& q = r["requests"];
    means.push_back(q["latency_s"]["mean"].get<double>());
    CHECK(q["stall_s"]["count"] == 0);
    CHECK(q["near_fork"]["latency_s"]["count"] == 0);
    CHECK(q["away_from_fork"]["latency_s"]["count"] == q["latency_s"]["count"]);
    CHECK(q["queue_length"]["mean"].get<double>() ==
          Approx(q["offered_per_s"].get<double>() * q["wait_s"]["mean"].get<double>())
              .epsilon(0.02));
    CHECK(q["latency_s"]["p999"].get<double>() >= q["latency_s"]["p99"].get<double>());
    CHECK(r["invariants"]["drained"] == true);
    CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
  }
  double mean = 0, var = 0;
  for (double m : means) mean += m / means.size();
  for (double m : means) var += (m - mean) * (m - mean) / (means.size() - 1);
  double se = std::sqrt(var / means.size());
  CAPTURE(theory, mean, se);
  CHECK(std::abs(mean - theory) < 4 * se);
  CHECK(std::abs(mean - theory) < 0.03 * theory);
}

namespace {

// One worker with fixed 0.3 s requests at 0.5/s; the main LWP forks at 1,
// 2, 3, ... s; every cost is free but the one that makes the hold last
// `stall` s (as_dup's pages for fork1 and forkall; a vfork child's CPU
// work, which holds its parent until it exits). So the holds are exactly
// [k, k + stall], and a request's completion follows from its arrival by
// FIFO with those holds: a worker that takes a request during a hold stops
// until its end, and one in the middle of a request stops at the hold's
// start (the poke is free) and finishes stall s later.
struct Expected {
  uint64_t count = 0, near = 0;
  double sum = 0, max = 0;
};

// Holds start at 1, 2, ..., last_hold.
Expected fifo_with_holds(const std::vector<double>& arrivals, double service, double stall,
                         double last_hold, double window_start, double window_end) {
  Expected e;
  double free_at = 0;
  for (double a : arrivals) {
    double start = std::max(a, free_at);
    double k = std::floor(start);
    if (k >= 1 && k <= last_hold && start < k + stall) start = k + stall;  // taken during a hold
    double done = start + service;
    for (double h = std::floor(start) + 1; h < done && h <= last_hold; ++h)
      done += stall;  // held mid-request
    free_at = done;
    if (done < window_start || done > window_end) continue;
    ++e.count;
    e.sum += done - a;
    e.max = std::max(e.max, done - a);
    bool near = false;
    for (double h = std::max(1.0, std::floor(a)); h <= done && h <= last_hold; ++h)
      if (h + stall >= a) near = true;
    e.near += near;
  }
  return e;
}

void check_exact_stall(const std::string& path, double child_cpu, double stall) {
  const double service = 0.3, duration = 40, warmup = 0.5;
  forksim::Scenario s = scenario(
      json::object(),
      {service_workload({{"path", path},
                         {"rate_per_s", 0.5},
                         {"service_s", service},
                         {"fork_every_s", 1},
                         {"parent", {{"lwps", 1}, {"writable_mb", 100}}},
                         {"child", {{"exec", false}, {"cpu_s", child_cpu}, {"lifetime_s", 0}}}}),
       "machine.ncpus=4", kFreeCosts, "duration_s=" + std::to_string(duration),
       "warmup_s=" + std::to_string(warmup)});
  std::vector<double> arrivals;
  RunOptions opt;
  opt.on_draw = [&](Stream st, double x) {
    if (st == Stream::Arrivals) arrivals.push_back(x);
  };
  Probes p = forksim::run_scenario(s, opt);
  Expected e = fifo_with_holds(arrivals, service, stall, duration - 1, warmup, duration);
  REQUIRE(e.near > 3);  // the test sees requests held mid-way
  const forksim::ServiceStats& sv = p.service;
  // One hold per fork, each of exactly `stall`: holdlwps to continuelwps,
  // which with free costs is the whole fork call too.
  CHECK(sv.stall.count() == 39);
  CHECK(sv.stall.mean() == Approx(stall).epsilon(1e-9));
  CHECK(sv.stall.max() == Approx(stall).epsilon(1e-9));
  CHECK(p.paths.at(path).latency.mean() == Approx(stall).epsilon(1e-9));
  CHECK(p.requests.latency.count() == e.count);
  CHECK(p.requests.latency.mean() == Approx(e.sum / e.count).epsilon(1e-9));
  CHECK(p.requests.latency.max() == Approx(e.max).epsilon(1e-9));
  CHECK(sv.near_fork.count() == e.near);
  CHECK(sv.away_from_fork.count() == e.count - e.near);
  // Held mid-request: at least the service time and one stall.
  CHECK(sv.near_fork.max() >= service + stall - 1e-9);
  CHECK(p.invariants.drained);
  CHECK(p.invariants.threads_blocked_after_drain == 0);
}

}  // namespace

TEST_CASE("fork1 holds a service's workers for exactly its holdlwps-to-continuelwps interval",
          "[service][lwps]") {
  check_exact_stall("fork1", 0, 100 * 256 * 1000e-9);
}

TEST_CASE("forkall holds a service's workers for exactly its holdlwps-to-continuelwps interval",
          "[service][lwps]") {
  check_exact_stall("forkall", 0, 100 * 256 * 1000e-9);
}

// vfork: the workers stay held until the child exits (vfwait's
// continuelwps): here its 10 ms of CPU work.
TEST_CASE("vfork holds a service's workers until the child releases the parent",
          "[service][lwps]") {
  check_exact_stall("vfork", 0.01, 0.01);
}

// At default costs, with 8 workers busy most of the time, a 4 GB process's
// fork1 stops them for the length of its as_dup: request latency near a fork
// is far above the rest, and every stall is close to the fork call itself.
TEST_CASE("a large service's forks show as stalls in its request latency", "[service]") {
  json r = run_forksim({"--set",
                        service_workload({{"rate_per_s", 10000},
                                          {"service_s", {{"dist", "exponential"}, {"mean", 5e-4}}},
                                          {"fork_every_s", 0.5},
                                          {"parent", {{"lwps", 8}, {"writable_mb", 4000}}},
                                          {"child", {{"exec", false}, {"lifetime_s", 0.1}}}}),
                        "--set", "machine.ncpus=16", "--set", "machine.physmem_mb=65536",
                        "--set", "duration_s=5"});
  const json& q = r["requests"];
  const json& fork = r["paths"]["fork1"]["latency_s"];
  CHECK(q["stall_s"]["count"] == fork["count"]);
  CHECK(q["stall_s"]["count"].get<int>() >= 8);
  CHECK(q["stall_s"]["mean"].get<double>() <= fork["mean"].get<double>());
  CHECK(q["stall_s"]["mean"].get<double>() > 0.9 * fork["mean"].get<double>());
  CHECK(q["near_fork"]["latency_s"]["mean"].get<double>() >
        5 * q["away_from_fork"]["latency_s"]["mean"].get<double>());
  CHECK(q["latency_s"]["max"].get<double>() >= q["stall_s"]["max"].get<double>());
  CHECK(q["queue_length"]["max"].get<int>() > 100);  // a stall's backlog
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

// In a composite machine the service's results are its group's.
TEST_CASE("a service group reports its requests and stalls under groups.<name>",
          "[service][groups]") {
  json w = {{"groups",
             {{{"name", "db"},
               {"type", "service"},
               {"rate_per_s", 2000},
               {"fork_every_s", 0.1},
               {"path", "forkall"},
               {"parent", {{"lwps", 4}, {"writable_mb", 200}}}},
              {{"name", "shells"}, {"type", "closed"}, {"parents", 8}}}}};
  json r = run_forksim({"--set", "workload=" + w.dump(), "--set", "duration_s=1"});
  const json& db = r["groups"]["db"];
  CHECK(db["requests"]["stall_s"]["count"].get<int>() >= 8);
  CHECK(db["requests"]["stall_s"]["count"] == db["paths"]["forkall"]["successes"]);
  CHECK(db["requests"]["served"].get<int>() > 1000);
  CHECK_FALSE(r["groups"]["shells"].contains("requests"));
  CHECK_FALSE(r.contains("requests"));
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

TEST_CASE("service keys are checked and round-trip", "[service][scenario]") {
  forksim::Scenario s = scenario(json::object(), {service_workload({{"fork_every_s", 2}})});
  CHECK(s.workload.forks);
  CHECK(scenario(s.to_json()).to_json() == s.to_json());
  forksim::Scenario never = scenario(json::object(), {service_workload(json::object())});
  CHECK_FALSE(never.workload.forks);
  CHECK(never.to_json()["workload"]["fork_every_s"].is_null());
  CHECK(scenario(never.to_json()).to_json() == never.to_json());

  TempDir d;
  auto fails = [&](const std::string& set, const std::string& message) {
    auto r = run_cli(d, {"validate", "--set", set});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains(message));
  };
  fails(service_workload({{"parents", 4}}),
        "workload.parents: applies only to closed and open workloads");
  fails(service_workload({{"service_s", -1}}), "workload.service_s");
  fails(service_workload({{"fork_every_s", "often"}}),
        "workload.fork_every_s: expected a number or a distribution object");
  fails(service_workload({{"parent", {{"lwps", 0}}}}), "workload.parent.lwps");
  fails("workload.service_s=0.1", "workload.service_s: applies only to service workloads");
  fails("workload.fork_every_s=1", "workload.fork_every_s: applies only to service workloads");
}

// Workers on every CPU, so that forks poke workers both running and
// preempted: the step-by-step engine (a wait per charged step) gives the
// same requests and stalls as the merged one, to rounding.
TEST_CASE("a busy service's report is the step-by-step engine's", "[service][engine]") {
  std::vector<std::string> args = {
      "--set",
      service_workload({{"rate_per_s", 5000},
                        {"fork_every_s", 0.1},
                        {"parent", {{"lwps", 4}, {"writable_mb", 500}}},
                        {"child", {{"exec", false}, {"lifetime_s", 0.01}}}}),
      "--set", "machine.ncpus=4", "--set", "duration_s=2"};
  json merged = run_forksim(args);
  args.push_back("--step-by-step");
  json slow = run_forksim(args);
  const json &a = merged["requests"], &b = slow["requests"];
  CHECK(a["latency_s"]["count"] == b["latency_s"]["count"]);
  CHECK(a["latency_s"]["count"].get<int>() > 5000);
  CHECK(a["stall_s"]["count"] == b["stall_s"]["count"]);
  CHECK(a["near_fork"]["latency_s"]["count"] == b["near_fork"]["latency_s"]["count"]);
  for (const char* k : {"mean", "max", "p99"})
    CHECK(a["latency_s"][k].get<double>() == Approx(b["latency_s"][k].get<double>()).epsilon(1e-9));
  // About 18 stalls in the window: a p50, too few for a p90 or p99.
  CHECK(a["stall_s"]["too_few_samples"] == json{"p90", "p99", "p999"});
  CHECK(a["stall_s"]["too_few_samples"] == b["stall_s"]["too_few_samples"]);
  for (const char* k : {"mean", "max", "p50"})
    CHECK(a["stall_s"][k].get<double>() == Approx(b["stall_s"][k].get<double>()).epsilon(1e-9));
}

// The summary names a service's latency for what it is and gives its stalls.
TEST_CASE("the summary gives a service's stalls and its latency near and away from forks",
          "[service][summary]") {
  TempDir d;
  auto r = run_cli(d, {"run", "--set",
                       service_workload({{"rate_per_s", 2000},
                                         {"fork_every_s", 0.1},
                                         {"parent", {{"lwps", 2}, {"writable_mb", 100}}}}),
                       "--set", "duration_s=1", "-o", "r.json"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("latency (arrival to completion) mean "));
  CHECK_THAT(r.out, Contains("9 forks held the workers (mean "));
  CHECK_THAT(r.out, Contains("taken waited for a worker"));
}

// A service that writes as it serves: each request writes 0.25 MB (64
// pages) of its 256 MB. After each fork (every 0.2 s; the snapshot child
// lives 0.15 s) those first writes fault, copies while the child lives; the
// faults' CPU lands in the requests' latency. Without forks nothing faults.
TEST_CASE("a service's writes after a fork fault and slow its requests", "[service][memory]") {
  auto run = [](bool forks) {
    std::string w = R"({"type": "service", "rate_per_s": 2000, "service_s": 0.0002,
      "write_mb_per_request": 0.25, "parent": {"lwps": 4, "reserved_mb": 256},
      "child": {"exec": false, "lifetime_s": 0.15})";
    w += forks ? R"(, "fork_every_s": 0.2})" : "}";
    return forksim::test::run_forksim({"--set", "duration_s=1.1", "--set", "warmup_s=0.1",
                                       "--set", "workload=" + w});
  };
  nlohmann::json with = run(true), without = run(false);
  const nlohmann::json& f = with["paths"]["fork1"]["write_faults"];
  CHECK(f["faults"].get<uint64_t>() > 10000);
  CHECK(f["copies"].get<uint64_t>() > 0);
  CHECK(f["copies"].get<uint64_t>() < f["faults"].get<uint64_t>());  // some after the child left
  CHECK(without["paths"]["fork1"]["write_faults"]["faults"] == 0);
  // 64 faults of at least 0.76 us each: a request after a fork takes
  // tens of microseconds more than the 200 us of its work.
  CHECK(with["requests"]["near_fork"]["latency_s"]["mean"].get<double>() >
        without["requests"]["latency_s"]["mean"].get<double>() + 40e-6);
  CHECK(with["invariants"]["cow_page_balance"] == 0);
}

// The service's request latency over time: the intervals holding a fork
// (every 0.3 s, a 1 GB parent's as_dup of about 20 ms) stand out from the
// rest, which sit at the requests' own 0.5 ms.
TEST_CASE("a service's request latency series shows each fork", "[service][timeseries]") {
  nlohmann::json r = forksim::test::run_forksim(
      {"--set", "duration_s=1", "--set", "timeseries_s=0.1", "--set",
       R"(workload={"type":"service","rate_per_s":2000,"fork_every_s":0.3,"parent":{"lwps":4,"reserved_mb":1024}})"});
  const nlohmann::json& ts = r["timeseries"];
  const nlohmann::json& lat = ts["request_latency_s"];
  REQUIRE(lat.size() == ts["t_s"].size());
  std::vector<double> quiet, forked;
  // Sample i is the mean over the interval ending at i x 0.1 s; a fork at
  // 0.1 k delays the requests that end in the next, sample k + 1.
  for (size_t i = 1; i < lat.size(); ++i) {
    bool has_fork = i == 4 || i == 7 || i == 10;
    (has_fork ? forked : quiet).push_back(lat[i].get<double>());
  }
  REQUIRE(forked.size() == 3);
  double quiet_max = *std::max_element(quiet.begin(), quiet.end());
  for (double x : forked) CHECK(x > 3 * quiet_max);
}
