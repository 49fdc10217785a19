// make_report and print_summary (against a golden file), on probes built
// by hand with known numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "analysis/report.hpp"
#include "cli/output_file.hpp"

#ifndef FORKSIM_SOURCE_DIR
#error "FORKSIM_SOURCE_DIR (the repository root) must be defined to find tests/golden"
#endif

using forksim::Histogram;
using forksim::Probes;
using forksim::RunInfo;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void record_n(Histogram& h, int n, double v) {
  for (int i = 0; i < n; ++i) h.record(v);
}

RunInfo sample_info() {
  RunInfo info;
  info.scenario = {{"name", "golden"}, {"timeseries_s", 0.5}, {"duration_s", 10}, {"warmup_s", 1}};
  info.seed = 42;
  info.sim_time_s = 11;
  info.wall_time_s = 0.75;
  return info;
}

// A run with a bit of everything: two paths, five locks (one unused), a
// backoff, ENOMEM failures, the admin probe and an overloaded request queue.
// The window is 10 s long so that every rate is an easy division.
Probes sample_probes() {
  Probes p;
  p.window_start_s = 1;
  p.window_end_s = 11;

  auto& fork1 = p.paths["fork1"];
  fork1.attempts = 1200;
  fork1.successes = 1000;
  fork1.failures = {{"EAGAIN", 150}, {"ENOMEM", 50}};
  record_n(fork1.failure_latency["EAGAIN"], 150, 10e-3);  // the backoff's tick
  record_n(fork1.failure_latency["ENOMEM"], 40, 15e-6);
  record_n(fork1.failure_latency["ENOMEM"], 10, 25e-6);
  record_n(fork1.latency, 900, 80e-6);
  record_n(fork1.latency, 90, 200e-6);
  record_n(fork1.latency, 10, 20e-3);
  fork1.write_faults.faults = 3000;
  fork1.write_faults.copies = 1000;
  fork1.write_faults.cpu_s = 4.2e-3;
  record_n(fork1.write_faults.slowed_s, 2, 0.25);

  auto& vfork = p.paths["vfork"];
  vfork.attempts = 100;
  vfork.successes = 100;
  record_n(vfork.latency, 100, 30e-6);

  auto lock = [&](const char* name, uint64_t acq, uint64_t cont, double wait_sum,
                  double wait_max, double hold_sum, double hold_max, double spin,
                  uint64_t instances) {
    auto& l = p.locks[name];
    l.acquisitions = acq;
    l.contended = cont;
    l.wait_sum_s = wait_sum;
    l.wait_max_s = wait_max;
    l.hold_sum_s = hold_sum;
    l.instance_hold_max_s = hold_max;
    l.spin_cpu_s = spin;
    l.instances = instances;
  };
  lock("pidlock", 4000, 400, 0.2, 0.004, 2.5, 2.5, 0.05, 1);
  // 15 s of holds over 1000 instances in 10 s: 0.0015 each on average, the
  // busiest 0.25 (their sum, 1.5, is a load, not a utilization).
  lock("p_lock", 10000, 50, 0.01, 0.001, 15, 2.5, 0, 1000);
  lock("reaplock", 1000, 50, 0.02, 0.002, 0.1, 0.1, 0, 1);   // ties p_lock, waits longer
  lock("freemem_lock", 500, 5, 0.001, 0.0005, 0.01, 0.01, 0, 1);
  lock("idle_lock", 0, 0, 0, 0, 0, 0, 0, 1);

  p.backoff.failures = 150;
  p.backoff.delays = 140;
  p.backoff.delay_total_s = 3.5;
  p.backoff.fork_fail_pending_max = 12;
  p.backoff.by_reason = {{"out of processes", 150}};

  p.nproc_start = 70;
  p.nproc_max = 1234;
  p.nproc_end = 70;

  p.ncpus = 8;
  p.cpu_busy_s = 40;
  p.runq_wait_sum_s = 1.5;
  p.dispatches = 20000;

  p.reserved_mb = 100;
  p.reserved_max_mb = 812.5;
  p.enomem_failures = 50;

  p.admin_probe_enabled = true;
  p.admin_probe.attempts = 10;
  p.admin_probe.successes = 9;
  p.admin_probe.failures = {{"EAGAIN", 1}};
  record_n(p.admin_probe.latency, 9, 100e-6);

  // 2000 offered, 950 served, 1050 left queued: overloaded.
  p.requests_enabled = true;
  auto& q = p.requests;
  q.offered = 2000;
  record_n(q.latency, 900, 2e-3);
  record_n(q.latency, 50, 0.5);
  record_n(q.wait, 100, 1e-3);
  record_n(q.wait, 900, 0);
  q.waited = 100;
  q.waiting_max = 1050;
  q.queue_start = 0;
  q.unserved_at_end = 1050;
  q.unserved_age_sum_s = 2100;
  q.unserved_age_max_s = 5.25;

  p.timeseries = {{0.5, 80, 0, 0, 3, 0, 0, 1},
                  {1.0, 600, 10, 2, 9, 250, 0.75, 7},
                  {1.5, 1234, 40, 12, 8, 120, 1, 6}};
  // A single workload's latency column joins the machine's; null where
  // none ended in the interval.
  p.series["response_s"] = {std::nan(""), 0.25, 0.5};
  p.engine_events = 123456;
  p.engine_rounds = 65432;

  p.invariants.drained = true;
  p.invariants.nproc_after_drain = 64;
  p.invariants.pids_after_drain = 64;
  p.invariants.upcount_after_drain = {{0, 64}, {100, 0}};
  return p;
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> s;
  for (const auto& [k, v] : j.items()) s.insert(k);
  return s;
}

// Latency objects: count, mean, max exact; percentiles within the
// histogram's 2%, each present only with the samples its 95% interval
// needs (p50 6, p90 36, p99 368, p99.9 3,688; none of these samples is
// large enough for p999), the others listed in too_few_samples.
void check_latency(const json& j, uint64_t count, double mean, double p50, double p90,
                   double p99, double max) {
  std::set<std::string> keys = {"count", "mean", "max", "ci"};
  json too_few = json::array();
  json ci_keys = json::array();
  const std::pair<const char*, std::pair<uint64_t, double>> percentiles[] = {
      {"p50", {6, p50}}, {"p90", {36, p90}}, {"p99", {368, p99}}, {"p999", {3688, 0}}};
  for (const auto& [key, need] : percentiles) {
    INFO(key << " of " << count);
    if (count >= need.first) {
      keys.insert(key);
      ci_keys.push_back(key);
      CHECK(j[key].get<double>() == Approx(need.second).epsilon(Histogram::kRelativeError));
      const json& ci = j["ci"][key];
      CHECK(ci[0].get<double>() <= j[key].get<double>());
      CHECK(ci[1].get<double>() >= j[key].get<double>());
    } else {
      too_few.push_back(key);
    }
  }
  if (!too_few.empty()) keys.insert("too_few_samples");
  CHECK(keys_of(j) == keys);
  if (!too_few.empty()) CHECK(j["too_few_samples"] == too_few);
  json got_ci = json::array();
  for (const auto& [k, v] : j["ci"].items()) got_ci.push_back(k);
  std::sort(got_ci.begin(), got_ci.end());
  std::sort(ci_keys.begin(), ci_keys.end());
  CHECK(got_ci == ci_keys);
  CHECK(j["count"] == count);
  CHECK(j["mean"].get<double>() == Approx(mean).epsilon(1e-12));
  CHECK(j["max"].get<double>() == max);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("report has exactly the documented top-level keys", "[report]") {
  const json r = forksim::make_report(sample_info(), sample_probes());
  CHECK(keys_of(r) == std::set<std::string>{
                          "schema_version", "forksim_version", "scenario", "seed", "sim_time_s",
                          "wall_time_s", "complete", "warmup", "window", "paths", "throughput", "locks",
                          "processes", "cpu", "backoff", "memory", "admin_probe", "requests",
                          "timeseries", "invariants", "engine"});
  CHECK(r["schema_version"] == forksim::kSchemaVersion);
  CHECK(r["schema_version"] == 3);
  CHECK(r["forksim_version"] == std::string(forksim::kForksimVersion));
  CHECK(r["scenario"] == sample_info().scenario);
  CHECK(r["seed"] == 42);
  CHECK(r["sim_time_s"] == 11.0);
  CHECK(r["wall_time_s"] == 0.75);
  CHECK(r["complete"] == true);
  CHECK(r["warmup"] == json{{"requested", 1}});
  CHECK(r["window"] == json{{"start_s", 1.0}, {"end_s", 11.0}, {"length_s", 10.0}});
  CHECK(r["engine"] == json{{"events", 123456}, {"rounds", 65432}});
}

TEST_CASE("report paths and throughput", "[report]") {
  const json r = forksim::make_report(sample_info(), sample_probes());
  REQUIRE(keys_of(r["paths"]) == std::set<std::string>{"fork1", "vfork"});

  const json& fork1 = r["paths"]["fork1"];
  CHECK(keys_of(fork1) == std::set<std::string>{"attempts", "successes", "failures", "latency_s",
                                                "failure_latency_s", "forks_per_s",
                                                "write_faults"});
  CHECK(fork1["attempts"] == 1200);
  CHECK(fork1["successes"] == 1000);
  CHECK(fork1["failures"] == json{{"EAGAIN", 150}, {"ENOMEM", 50}});
  CHECK(fork1["forks_per_s"] == 100.0);
  check_latency(fork1["latency_s"], 1000, (900 * 80e-6 + 90 * 200e-6 + 10 * 20e-3) / 1000,
                80e-6, 80e-6, 200e-6, 20e-3);
  // Failed calls have their own latency, per errno, with the same fields.
  REQUIRE(keys_of(fork1["failure_latency_s"]) == std::set<std::string>{"EAGAIN", "ENOMEM"});
  check_latency(fork1["failure_latency_s"]["EAGAIN"], 150, 10e-3, 10e-3, 10e-3, 10e-3, 10e-3);
  check_latency(fork1["failure_latency_s"]["ENOMEM"], 50, (40 * 15e-6 + 10 * 25e-6) / 50, 15e-6,
                25e-6, 25e-6, 25e-6);
  // Write faults after this path's forks: counts, CPU, and the slowed
  // intervals as a latency.
  const json& wf = fork1["write_faults"];
  CHECK(keys_of(wf) == std::set<std::string>{"faults", "copies", "cpu_s", "slowed_s"});
  CHECK(wf["faults"] == 3000);
  CHECK(wf["copies"] == 1000);
  CHECK(wf["cpu_s"] == 4.2e-3);
  check_latency(wf["slowed_s"], 2, 0.25, 0.25, 0.25, 0.25, 0.25);
  CHECK(r["paths"]["vfork"]["write_faults"]["faults"] == 0);

  const json& vfork = r["paths"]["vfork"];
  CHECK(vfork["failures"] == json::object());  // {} rather than null
  CHECK(vfork["failure_latency_s"] == json::object());
  CHECK(vfork["forks_per_s"] == 10.0);
  check_latency(vfork["latency_s"], 100, 30e-6, 30e-6, 30e-6, 30e-6, 30e-6);

  CHECK(r["throughput"] ==
        json{{"forks_per_s", 110.0}, {"attempts_per_s", 130.0}, {"failures_per_s", 20.0}});
}

TEST_CASE("report locks", "[report]") {
  const json r = forksim::make_report(sample_info(), sample_probes());
  REQUIRE(keys_of(r["locks"]) ==
          std::set<std::string>{"pidlock", "p_lock", "reaplock", "freemem_lock", "idle_lock"});

  const json& pid = r["locks"]["pidlock"];
  CHECK(keys_of(pid) == std::set<std::string>{"acquisitions", "contended", "contended_fraction",
                                              "wait_mean_s", "wait_max_s", "hold_mean_s",
                                              "utilization", "utilization_max", "busy_s",
                                              "spin_cpu_s", "instances", "callers"});
  CHECK(pid["callers"] == json::object());  // these probes name no caller
  CHECK(pid["acquisitions"] == 4000);
  CHECK(pid["contended"] == 400);
  CHECK(pid["contended_fraction"] == 400.0 / 4000);
  CHECK(pid["wait_mean_s"] == 0.2 / 400);
  CHECK(pid["wait_max_s"] == 0.004);
  CHECK(pid["hold_mean_s"] == 2.5 / 4000);
  CHECK(pid["utilization"] == 0.25);
  CHECK(pid["utilization_max"] == 0.25);  // one instance: the same
  CHECK(pid["busy_s"] == 2.5);
  CHECK(pid["spin_cpu_s"] == 0.05);
  CHECK(pid["instances"] == 1);

  // A per-process lock: utilization per instance, the sum as busy time.
  const json& pl = r["locks"]["p_lock"];
  CHECK(pl["utilization"].get<double>() == Approx(15.0 / (1000 * 10)).epsilon(1e-12));
  CHECK(pl["utilization_max"] == 0.25);
  CHECK(pl["busy_s"] == 15.0);
  CHECK(pl["instances"] == 1000);

  // Never acquired: every ratio is 0, not NaN.
  const json& idle = r["locks"]["idle_lock"];
  CHECK(idle["contended_fraction"] == 0.0);
  CHECK(idle["wait_mean_s"] == 0.0);
  CHECK(idle["hold_mean_s"] == 0.0);
  CHECK(idle["utilization"] == 0.0);
  CHECK(idle["utilization_max"] == 0.0);
}

TEST_CASE("report processes/cpu/backoff/memory sections", "[report]") {
  const json r = forksim::make_report(sample_info(), sample_probes());
  CHECK(r["processes"] == json{{"nproc_start", 70}, {"nproc_max", 1234}, {"nproc_end", 70}});
  CHECK(r["cpu"] == json{{"ncpus", 8},
                         {"utilization", 0.5},
                         {"busy_s", 40.0},
                         {"runq_wait_s", 1.5},
                         {"dispatches", 20000}});
  CHECK(r["backoff"] == json{{"failures", 150},
                             {"delays", 140},
                             {"delay_total_s", 3.5},
                             {"fork_fail_pending_max", 12},
                             {"by_reason", {{"out of processes", 150}}},
                             {"failures_per_s", 15.0}});
  CHECK(r["memory"] == json{{"reserved_max_mb", 812.5}, {"enomem_failures", 50}});
}

TEST_CASE("report admin_probe/requests/timeseries/invariants sections", "[report]") {
  const json r = forksim::make_report(sample_info(), sample_probes());

  const json& admin = r["admin_probe"];
  CHECK(keys_of(admin) == std::set<std::string>{"attempts", "successes", "failures", "latency_s",
                                                "failure_latency_s", "write_faults"});
  CHECK(admin["attempts"] == 10);
  CHECK(admin["successes"] == 9);
  CHECK(admin["failures"] == json{{"EAGAIN", 1}});
  check_latency(admin["latency_s"], 9, 100e-6, 100e-6, 100e-6, 100e-6, 100e-6);

  const json& q = r["requests"];
  CHECK(keys_of(q) == std::set<std::string>{
                          "offered", "offered_per_s", "served", "served_per_s", "queue_start",
                          "queue_end", "queue_growth_per_s", "overloaded", "latency_s", "wait_s",
                          "waited", "waiting_max", "unserved_at_end", "unserved_age_s"});
  CHECK(q["offered"] == 2000);
  CHECK(q["offered_per_s"] == 200.0);
  CHECK(q["served"] == 950);
  CHECK(q["served_per_s"] == 95.0);
  CHECK(q["queue_start"] == 0);
  CHECK(q["queue_end"] == 1050);
  CHECK(q["queue_growth_per_s"] == 105.0);
  CHECK(q["overloaded"] == true);
  check_latency(q["latency_s"], 950, (900 * 2e-3 + 50 * 0.5) / 950, 2e-3, 2e-3, 0.5, 0.5);
  // Every request taken has a wait, zero or not; "waited" counts the others.
  check_latency(q["wait_s"], 1000, 100 * 1e-3 / 1000, 0, 0, 1e-3, 1e-3);
  CHECK(q["waited"] == 100);
  CHECK(q["waiting_max"] == 1050);
  CHECK(q["unserved_at_end"] == 1050);
  CHECK(q["unserved_age_s"] == json{{"mean", 2.0}, {"max", 5.25}});

  CHECK(r["timeseries"] == json{{"period_s", 0.5},
                                {"t_s", {0.5, 1.0, 1.5}},
                                {"nproc", {80, 600, 1234}},
                                {"failures_per_s", {0.0, 10.0, 40.0}},
                                {"fork_fail_pending", {0, 2, 12}},
                                {"runnable", {3, 9, 8}},
                                {"forks_per_s", {0.0, 250.0, 120.0}},
                                {"cpu_utilization", {0.0, 0.75, 1.0}},
                                {"runq", {1, 7, 6}},
                                {"response_s", {nullptr, 0.25, 0.5}}});

  CHECK(r["invariants"] == json{{"drained", true},
                                {"nproc_after_drain", 64},
                                {"pids_after_drain", 64},
                                {"upcount_after_drain", {{"0", 64}, {"100", 0}}},
                                {"reserved_mb_after_drain", 0.0},
                                {"cow_page_balance", 0},
                                {"locks_held_after_drain", 0},
                                {"threads_blocked_after_drain", 0},
                                {"nproc_limit_violations", 0}});
}

TEST_CASE("report optional sections appear only when they apply", "[report]") {
  Probes p = sample_probes();
  p.admin_probe_enabled = false;
  p.requests_enabled = false;
  p.complete = false;
  p.incomplete_reason = "event budget exhausted";
  RunInfo info = sample_info();
  info.scenario.erase("timeseries_s");

  const json r = forksim::make_report(info, p);
  CHECK_FALSE(r.contains("admin_probe"));
  CHECK_FALSE(r.contains("requests"));
  CHECK(r["complete"] == false);
  CHECK(r["incomplete_reason"] == "event budget exhausted");
  CHECK(r["timeseries"]["period_s"].is_null());

  CHECK_FALSE(forksim::make_report(sample_info(), sample_probes()).contains("incomplete_reason"));
}

TEST_CASE("report guards divisions by zero", "[report]") {
  // An empty window (a run stopped before the warm-up ended) and no CPUs.
  Probes p = sample_probes();
  p.window_start_s = p.window_end_s = 5;
  p.ncpus = 0;
  // A latency column's null (an interval with no latency in it) is no
  // division; the rest of the report must have none.
  p.series.clear();
  const json r = forksim::make_report(sample_info(), p);

  CHECK(r["window"]["length_s"] == 0.0);
  CHECK(r["paths"]["fork1"]["forks_per_s"] == 0.0);
  CHECK(r["throughput"] ==
        json{{"forks_per_s", 0.0}, {"attempts_per_s", 0.0}, {"failures_per_s", 0.0}});
  CHECK(r["locks"]["pidlock"]["utilization"] == 0.0);
  CHECK(r["cpu"]["utilization"] == 0.0);
  CHECK(r["backoff"]["failures_per_s"] == 0.0);
  // NaN and inf would have been written as null.
  CHECK(r.dump().find("null") == std::string::npos);

  // A window ending before it starts (never set) is empty, not negative.
  p.window_start_s = 3;
  p.window_end_s = 2;
  CHECK(forksim::make_report(sample_info(), p)["window"]["length_s"] == 0.0);

  // And empty probes make a valid report.
  const json empty = forksim::make_report(RunInfo{}, Probes{});
  CHECK(empty["paths"] == json::object());
  CHECK(empty["locks"] == json::object());
  CHECK(empty["throughput"]["forks_per_s"] == 0.0);
}

namespace {

// The summary of (info, p), byte for byte against tests/golden/NAME. When
// the format changes on purpose, run the tests with FORKSIM_UPDATE_GOLDEN=1
// to rewrite the file, then read the new file and commit it with the change.
void check_summary_golden(const std::string& name, const RunInfo& info, const Probes& p) {
  std::ostringstream out;
  forksim::print_summary(out, forksim::make_report(info, p));
  const std::string golden = std::string(FORKSIM_SOURCE_DIR) + "/tests/golden/" + name;

  const char* update = std::getenv("FORKSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    forksim::write_output(golden, out.str());
    WARN("rewrote " << golden);
  }
  REQUIRE(fs::exists(golden));
  CHECK(out.str() == read_file(golden));
}

}  // namespace

TEST_CASE("summary matches the golden file", "[report][golden]") {
  check_summary_golden("summary.txt", sample_info(), sample_probes());
}

// Where nothing was sampled the summary says n/a, not 0.0 us; a probe that
// never ran says so; a rate of 3 in 100 s reads 0.0300/s, not 0.0/s; an open
// workload that served nothing still has its requests lines.
TEST_CASE("summary says n/a where nothing was sampled", "[report][golden]") {
  RunInfo info = sample_info();
  info.scenario["workload"] = {{"admin_probe", {{"interval_s", 200.0}}}};
  Probes p;
  p.window_start_s = 0;
  p.window_end_s = 100;
  auto& fork1 = p.paths["fork1"];
  fork1.attempts = 3;
  fork1.failures = {{"EAGAIN", 3}};
  record_n(fork1.failure_latency["EAGAIN"], 3, 10e-3);
  p.paths["vfork"].attempts = 0;  // the workload's path, never tried
  p.ncpus = 2;
  p.admin_probe_enabled = true;
  p.requests_enabled = true;
  p.requests.offered = 3;
  p.requests.waiting_max = 3;
  p.requests.unserved_at_end = 3;
  p.requests.unserved_age_sum_s = 90;
  p.requests.unserved_age_max_s = 50;
  check_summary_golden("summary_na.txt", info, p);
}

TEST_CASE("the overload rule: a shortfall beyond Poisson noise and a growing queue",
          "[report]") {
  using forksim::overloaded;
  // 10,000 offered: the noise is 100, three of them 300.
  CHECK(overloaded(10000, 10000 - 301, 0, 1));
  CHECK_FALSE(overloaded(10000, 10000 - 300, 0, 1));   // within the noise
  CHECK_FALSE(overloaded(10000, 5000, 40, 40));        // the queue did not grow
  CHECK_FALSE(overloaded(10000, 5000, 40, 10));        // it shrank
  CHECK_FALSE(overloaded(0, 0, 0, 0));
  CHECK(overloaded(100, 50, 0, 50));                   // 50 > 3 x 10
}

TEST_CASE("an open workload's report has requests even when none waited", "[report]") {
  Probes p;
  p.window_start_s = 0;
  p.window_end_s = 2;
  p.requests_enabled = true;
  p.requests.offered = 10;
  record_n(p.requests.latency, 10, 50e-6);
  record_n(p.requests.wait, 10, 0);
  const json r = forksim::make_report(sample_info(), p);
  REQUIRE(r.contains("requests"));
  const json& q = r["requests"];
  CHECK(q["waited"] == 0);
  CHECK(q["wait_s"]["count"] == 10);
  CHECK(q["served_per_s"] == 5.0);
  CHECK(q["offered_per_s"] == 5.0);
  CHECK(q["overloaded"] == false);
  CHECK(q["unserved_at_end"] == 0);
  CHECK(q["unserved_age_s"] == json{{"mean", 0.0}, {"max", 0.0}});
  CHECK(q["queue_growth_per_s"] == 0.0);
}

TEST_CASE("summary shows only the sections that apply", "[report]") {
  Probes p = sample_probes();
  p.backoff.failures = 0;
  p.enomem_failures = 0;
  p.admin_probe_enabled = false;
  p.requests_enabled = false;
  p.complete = false;
  p.incomplete_reason = "stopped by the event guard";

  std::ostringstream out;
  forksim::print_summary(out, forksim::make_report(sample_info(), p));
  const std::string s = out.str();
  CHECK(s.rfind("INCOMPLETE: stopped by the event guard\n", 0) == 0);
  CHECK(s.find("backoff") == std::string::npos);
  CHECK(s.find("memory") == std::string::npos);
  CHECK(s.find("admin probe") == std::string::npos);
  CHECK(s.find("requests") == std::string::npos);
  CHECK(s.find("pidlock") != std::string::npos);
  CHECK(s.find("idle_lock") == std::string::npos);     // never acquired
  CHECK(s.find("freemem_lock") == std::string::npos);  // fourth most contended
}

TEST_CASE("summary says so when no lock was contended", "[report]") {
  Probes p = sample_probes();
  for (auto& [name, l] : p.locks) l.contended = 0;
  std::ostringstream out;
  forksim::print_summary(out, forksim::make_report(sample_info(), p));
  const std::string s = out.str();
  CHECK(s.find("no lock was contended") != std::string::npos);
  CHECK(s.find("pidlock") == std::string::npos);
}
