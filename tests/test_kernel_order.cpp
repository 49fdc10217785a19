// The kernel's lock order and holdlwps protocol, held to illumos's source
// (lwp.c holdlwps, sig.c sigcld/post_sigcld, exit.c proc_exit, thread.c)
// by counts and fractions that the former simplifications did not give.
#include <catch2/catch.hpp>

#include "tests/support.hpp"

using nlohmann::json;
using forksim::test::run_here;
using forksim::test::scenario;

namespace {
json forking_lwps(const std::string& path, const std::string& think) {
  return run_here(scenario(json::object(),
                           {"workload.path=" + path, "workload.parent.lwps=4",
                            "workload.parent.forking_lwps=4", "workload.think_s=" + think,
                            "duration_s=1", "warmup_s=0.2"}));
}

double fraction_eintr(const json& r, const std::string& path) {
  const json& p = r["paths"][path];
  double eintr = p["failures"].contains("EINTR") ? p["failures"]["EINTR"].get<double>() : 0;
  return eintr / p["attempts"].get<double>();
}
}  // namespace

// lwp.c sets SHOLDFORK only while the forker waits for the other LWPs to
// stop, and they stay stopped at their hold points until continuelwps, so
// another LWP's forkall meets the flag only if it enters holdlwps inside
// that short window. With 4 forking LWPs thinking 1 ms (exponential) the
// model gives 0.5% of forkall calls EINTR (the default seed: 125 of 26,341); the old
// model, whose flag lasted the whole fork, gave 20%.
//
// The next test: with no think time the LWPs that one continuelwps releases all race back
// into forkall at once: the first sets SHOLDFORK and each other that takes
// p_lock while it sleeps in cv_wait(&p->p_holdlwps) gets EINTR, as in the
// kernel. The model gives 3.4% since the kernel's cv_wait order and the
// TS dispatcher joined it (11%, 3,233 of 29,543, before them): the released
// LWPs now queue by priority and reach holdlwps one at a time more often.
// Either way more than with think time (0.5%), and a minority.
TEST_CASE("forkall beside forking LWPs that think fails EINTR in a small minority of calls",
          "[model][lwps]") {
  json r = forking_lwps("forkall", "{\"dist\": \"exponential\", \"mean\": 0.001}");
  INFO("EINTR fraction with 1 ms think: " << fraction_eintr(r, "forkall"));
  CHECK(fraction_eintr(r, "forkall") > 0);
  CHECK(fraction_eintr(r, "forkall") < 0.02);
  CHECK(r["paths"]["forkall"]["successes"].get<int>() > 10000);
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

TEST_CASE("forkall LWPs released together race into EINTR as in the kernel", "[model][lwps]") {
  json r = forking_lwps("forkall", "0");
  INFO("EINTR fraction with no think time: " << fraction_eintr(r, "forkall"));
  CHECK(fraction_eintr(r, "forkall") > 0.01);
  CHECK(fraction_eintr(r, "forkall") < 0.2);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

// A competing fork1 or vfork stops in holdlwps (lwp.c 1296) and forks once
// continued: LWPs that all call fork1 never get EINTR.
TEST_CASE("fork1 beside forking LWPs waits its turn and never fails EINTR", "[model][lwps]") {
  json r = forking_lwps("fork1", "0");
  CHECK(r["paths"]["fork1"]["failures"].empty());
  CHECK(r["paths"]["fork1"]["successes"].get<int>() > 10000);
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["threads_blocked_after_drain"] == 0);
}

// Per fork1 + exec + exit + wait cycle of a single-threaded parent:
// ct_lock twice (contract_fork; contract_process_exit, outside pidlock),
// zone_nlwps_lock twice (lwp_create's count; proc_exit 799-803, nested in
// the exiting process's p_lock inside pidlock), and p_lock 18 times: 11 in
// cfork (holdlwps, the pool barrier twice, getproc's parent and child,
// as_dup's two, fork_finish, fork_publish's child, ts_forkret's child and
// parent), 1 in exec's relvm, 5 in exit (exitlwps, relvm, the contract,
// the zombie, post_sigcld's parent p_lock) and 1 in waitid (sigcld_delete).
TEST_CASE("exit takes ct_lock, zone_nlwps_lock and the parent's p_lock where illumos does",
          "[model][locks]") {
  json r = run_here(scenario(json::object(), {"duration_s=0.5", "warmup_s=0.1"}));
  double forks = r["paths"]["fork1"]["successes"];
  REQUIRE(forks > 1000);
  const json& l = r["locks"];
  CHECK(l["ct_lock"]["acquisitions"].get<double>() == Approx(2 * forks).margin(64));
  CHECK(l["zone_nlwps_lock"]["acquisitions"].get<double>() == Approx(2 * forks).margin(64));
  CHECK(l["p_lock"]["acquisitions"].get<double>() == Approx(18 * forks).margin(64 * 9));
}

// getproc's bad: (fork.c 1176-1180) gives a pid back under pidlinklock only
// if one was allocated: a bomb that has every slot fails in pid_allocate
// and enters pidlinklock once per failure (the allocation itself), where a
// failure past the pid would enter it twice. Each failure's backoff enters
// pidlock twice (INCR_COUNT and DECR_COUNT around the delay, 1192-1194).
TEST_CASE("a failure before a pid is allocated gives none back", "[model][pid]") {
  json r = run_here(scenario(json::object(),
                             {"workload.type=fork_bomb", "workload.initial=1",
                              "workload.retry={\"policy\": \"immediate\"}",
                              "workload.parent.privileged=true", "machine.ncpus=32",
                              "tunables.max_nprocs=300", "duration_s=1", "warmup_s=0.5"}));
  REQUIRE(r["paths"]["fork1"]["successes"] == 0);  // the table is full for the whole window
  double failures = r["backoff"]["by_reason"]["out of processes"].get<double>();
  REQUIRE(failures > 1000);
  CHECK(r["backoff"]["by_reason"].size() == 1);
  CHECK(r["locks"]["pidlinklock"]["acquisitions"].get<double>() == Approx(failures).margin(2));
  CHECK(r["locks"]["pidlock"]["acquisitions"].get<double>() == Approx(2 * failures).margin(4));
}
