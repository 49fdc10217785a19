// lockstat(8)'s layout of a run's lock figures (analysis/lockstat.hpp): the
// exact text of a hand-built report, the cuts of -D and the -H section, the
// report's per-caller figures against the lock totals, and `forksim run
// --lockstat` with its options.
#include <catch2/catch.hpp>

#include <string>

#include "analysis/lockstat.hpp"
#include "analysis/report.hpp"
#include "analysis/stats.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using forksim::LockstatError;
using forksim::LockstatOptions;
using forksim::lockstat_run;
using forksim::lockstat_text;
using forksim::test::check_golden;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

json caller(const char* lines, uint64_t spins, double spin_s, uint64_t blocks, double block_s,
            uint64_t holds, double hold_s) {
  return {{"lines", lines},          {"acquisitions", spins + blocks + holds},
          {"contended", spins + blocks}, {"spin_events", spins},
          {"spin_s", spin_s},        {"block_events", blocks},
          {"block_s", block_s},      {"hold_events", holds},
          {"hold_s", hold_s},        {"hold_mean_s", holds ? hold_s / holds : 0},
          {"hold_max_s", hold_s}};
}

// A 4-second window. Spin: 5 + 5 + 1 events (the two fives tie, p_lock
// sorts before pidlock); block: 3 + 1; hold: 10, 8, 4, 2. as_lock's caller
// has acquisitions and no event: no row.
json sample_report() {
  json locks;
  locks["pidlock"]["callers"] = {
      {"getproc_limit_check", caller("976-984", 5, 7.503e-6, 1, 0.002, 10, 1e-5)},
      {"fork_publish", caller("527-564", 1, 2.5e-6, 0, 0, 8, 6.4e-6)},
      {"exit_proc", caller("exit.c proc_exit 637-723", 0, 0, 0, 0, 2, 3e-6)}};
  locks["p_lock"]["callers"] = {
      {"holdlwps", caller("198-202 (lwp.c holdlwps)", 5, 2e-6, 3, 3.6e-3, 4, 8e-7)}};
  locks["as_lock"]["callers"] = {{"as_dup", caller("274", 0, 0, 0, 0, 0, 0)}};
  locks["as_lock"]["callers"]["as_dup"]["acquisitions"] = 7;
  return {{"window", {{"start_s", 1.0}, {"end_s", 5.0}, {"length_s", 4.0}}}, {"locks", locks}};
}

const std::string kRule = std::string(79, '-') + "\n";

// A section's first lines: its title, then the table's head and rule.
std::string head(const std::string& title) {
  return "\n" + title + "\n\nCount indv cuml rcnt     nsec Lock                   Caller\n" + kRule;
}

// The spin and block rows of sample_report.
const char* const kSpinRows[] = {
    "    5  45%  45% 1.00      400 p_lock                 holdlwps (fork.c 198-202 (lwp.c holdlwps))\n",
    "    5  45%  91% 1.00     1500 pidlock                getproc_limit_check (fork.c 976-984)\n",
    "    1   9% 100% 1.00     2500 pidlock                fork_publish (fork.c 527-564)\n"};
const char* const kBlockRows[] = {
    "    3  75%  75% 1.00  1200000 p_lock                 holdlwps (fork.c 198-202 (lwp.c holdlwps))\n",
    "    1  25% 100% 1.00  2000000 pidlock                getproc_limit_check (fork.c 976-984)\n"};
const char* const kSpinTitle = "Adaptive mutex spin: 11 events in 4.000 seconds (3 events/sec)";
const char* const kBlockTitle = "Adaptive mutex block: 4 events in 4.000 seconds (1 events/sec)";

const char* const kNote =
    "\n"
    "Lock: a lock by name, its instances together (lockstat lists each instance of a\n"
    "per-process lock such as p_lock by address). Caller: the model's step, with the\n"
    "seed lines it stands for. nsec: the mean event's time (spin: on CPU spinning;\n"
    "block: asleep on the turnstile until back on a CPU; hold: from acquisition to\n"
    "release). rcnt: 1.00, as for every exclusive lock.\n";

}  // namespace

// indv is each row's share of its section's events, cuml their running sum
// unrounded (45% + 45% reads 91%: 45.45 + 45.45), nsec the mean in whole
// nanoseconds (7503 ns over 5 events: 1500), events/sec over the window.
TEST_CASE("lockstat_text prints a hand-built report in lockstat's layout", "[lockstat]") {
  LockstatOptions o;
  o.hold = true;
  const std::string expected =
      head(kSpinTitle) + kSpinRows[0] + kSpinRows[1] + kSpinRows[2] + kRule +
      head(kBlockTitle) + kBlockRows[0] + kBlockRows[1] + kRule +
      head("Adaptive mutex hold: 24 events in 4.000 seconds (6 events/sec)") +
      "   10  42%  42% 1.00     1000 pidlock                getproc_limit_check (fork.c 976-984)\n"
      "    8  33%  75% 1.00      800 pidlock                fork_publish (fork.c 527-564)\n"
      "    4  17%  92% 1.00      200 p_lock                 holdlwps (fork.c 198-202 (lwp.c holdlwps))\n"
      "    2   8% 100% 1.00     1500 pidlock                exit_proc (exit.c proc_exit 637-723)\n" +
      kRule + kNote;
  CHECK(lockstat_text(sample_report(), o) == expected);
}

// -D 1: one row a section, its share still of all the section's events;
// without -H no hold section.
TEST_CASE("lockstat_text's top N cuts the rows, not the totals, and -H adds the hold section",
          "[lockstat]") {
  LockstatOptions o;
  o.top = 1;
  const std::string expected = head(kSpinTitle) + kSpinRows[0] + kRule + head(kBlockTitle) +
                               kBlockRows[0] + kRule + kNote;
  CHECK(lockstat_text(sample_report(), o) == expected);
  o.top = 3;
  o.hold = true;
  const std::string three = lockstat_text(sample_report(), o);
  CHECK_THAT(three, Contains("Adaptive mutex hold: 24 events") &&
                        Contains(" 92% 1.00      200 p_lock") && !Contains("exit_proc"));
}

// Nothing contended: each section says 0 events, with no table (lockstat
// would print nothing at all).
TEST_CASE("lockstat_text of a run without contention prints each section with 0 events",
          "[lockstat]") {
  json r = sample_report();
  for (auto& [lock, l] : r["locks"].items())
    for (auto& [name, c] : l["callers"].items())
      c["spin_events"] = c["block_events"] = c["hold_events"] = 0;
  r["window"]["length_s"] = 0.5;
  LockstatOptions o;
  o.hold = true;
  CHECK(lockstat_text(r, o) ==
        std::string("\nAdaptive mutex spin: 0 events in 0.500 seconds (0 events/sec)\n"
                    "\nAdaptive mutex block: 0 events in 0.500 seconds (0 events/sec)\n"
                    "\nAdaptive mutex hold: 0 events in 0.500 seconds (0 events/sec)\n") +
            kNote);
  // An empty window: rates of 0, not a division by zero.
  r["window"]["length_s"] = 0;
  CHECK_THAT(lockstat_text(r, {}), Contains("0 events in 0.000 seconds (0 events/sec)"));
}

TEST_CASE("lockstat_text names what a report lacks or has wrong", "[lockstat]") {
  auto error_of = [](const json& r) {
    try {
      lockstat_text(r, {});
    } catch (const LockstatError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  json r = sample_report();
  r["locks"]["ct_lock"] = {{"acquisitions", 3}};
  CHECK(error_of(r) ==
        "locks.ct_lock.callers: missing (per-caller lock figures: the report is older than them)");
  r = sample_report();
  r["locks"]["pidlock"]["callers"]["fork_publish"]["spin_s"] = "fast";
  CHECK(error_of(r) == "locks.pidlock.callers.fork_publish.spin_s: not a time >= 0");
  r = sample_report();
  r["locks"]["p_lock"]["callers"]["holdlwps"]["block_events"] = -2;
  CHECK(error_of(r) == "locks.p_lock.callers.holdlwps.block_events: not a count");
  r = sample_report();
  r.erase("window");
  CHECK(error_of(r) == "window: missing");
  LockstatOptions zero;
  zero.top = 0;
  CHECK_THROWS_WITH(lockstat_text(sample_report(), zero), "top: must be at least 1");
}

// The run report inside each kind of result; an index out of range is named.
TEST_CASE("lockstat_run picks a run out of a replicated result or a sweep point", "[lockstat]") {
  auto run = [](uint64_t seed) {
    return json{{"schema_version", 3}, {"seed", seed}, {"scenario", json::object()}};
  };
  const json alone = run(7);
  CHECK(&lockstat_run(alone) == &alone);
  const json replicated = {{"kind", "replicated"}, {"runs", {run(1), run(2)}}};
  CHECK(lockstat_run(replicated, 1)["seed"] == 2);
  const json sweep = {{"kind", "sweep"},
                      {"points",
                       {{{"overrides", json::object()}, {"runs", {run(1)}}},
                        {{"overrides", json::object()}, {"runs", {run(1), run(2)}}}}}};
  CHECK(lockstat_run(sweep, 1, 1)["seed"] == 2);
  CHECK_THROWS_WITH(lockstat_run(replicated, 2), "runs[2]: out of range (it has 2)");
  CHECK_THROWS_WITH(lockstat_run(sweep, 1, 0), "points[0].runs[1]: out of range (it has 1)");
  CHECK_THROWS_WITH(lockstat_run(sweep, 0, 2), "points[2]: out of range (it has 2)");
  CHECK_THROWS_WITH(lockstat_run(alone, 1), "a run report has one run and no points");
  CHECK_THROWS_AS(lockstat_run(json{{"kind", "compare"}}), LockstatError);
}

// make_report's callers: named by Probes::lock_sites, with their lines;
// a caller with neither an acquisition nor a hold in the window is left
// out, one with holds alone (taken before the window) is not.
TEST_CASE("make_report lists each lock's callers by name", "[lockstat][report]") {
  forksim::Probes p;
  p.window_start_s = 0;
  p.window_end_s = 1;
  p.lock_sites = {{"check_flags", "173-187"}, {"wait_reap", "exit.c waitid"}, {"idle", "1"}};
  forksim::LockStats& l = p.locks["pidlock"];
  l.acquisitions = 3;
  l.contended = 2;
  forksim::LockCallerStats& a = l.caller(0);
  a.acquisitions = 3;
  a.contended = 2;
  a.spin_events = 2;
  a.spin_s = 4e-6;
  a.block_events = 1;
  a.block_s = 0.001;
  a.hold_events = 2;
  a.hold_s = 6e-6;
  a.hold_max_s = 4e-6;
  l.caller(1).hold_events = 1;
  l.caller(1).hold_s = 2e-6;
  l.caller(1).hold_max_s = 2e-6;
  l.caller(2);  // grown, never used
  const json callers = forksim::make_report({}, p)["locks"]["pidlock"]["callers"];
  CHECK(callers == json{{"check_flags",
                         {{"lines", "173-187"}, {"acquisitions", 3}, {"contended", 2},
                          {"spin_events", 2}, {"spin_s", 4e-6}, {"block_events", 1},
                          {"block_s", 0.001}, {"hold_events", 2}, {"hold_s", 6e-6},
                          {"hold_mean_s", 3e-6}, {"hold_max_s", 4e-6}}},
                        {"wait_reap",
                         {{"lines", "exit.c waitid"}, {"acquisitions", 0}, {"contended", 0},
                          {"spin_events", 0}, {"spin_s", 0.0}, {"block_events", 0},
                          {"block_s", 0.0}, {"hold_events", 1}, {"hold_s", 2e-6},
                          {"hold_mean_s", 2e-6}, {"hold_max_s", 2e-6}}}});
}

// The report's callers split each lock's figures: their acquisitions and
// contended acquisitions add up to the lock's, no caller spins or blocks
// more often than it was contended, and their holds (each whole, released
// in the window) come within 1% of the lock's busy time (its part of each
// hold inside the window).
TEST_CASE("a report's per-caller lock figures add up to the lock's totals", "[lockstat][model]") {
  forksim::Scenario s;
  s.duration_s = 1.5;
  s.warmup_s = 0.5;
  const json r = forksim::test::run_here(s);
  int contended_locks = 0;
  for (const auto& [name, l] : r["locks"].items()) {
    INFO(name);
    uint64_t acq = 0, contended = 0;
    double hold_s = 0;
    for (const auto& [who, c] : l["callers"].items()) {
      INFO(who);
      acq += c["acquisitions"].get<uint64_t>();
      contended += c["contended"].get<uint64_t>();
      hold_s += c["hold_s"].get<double>();
      CHECK(c["spin_events"].get<uint64_t>() <= c["contended"].get<uint64_t>());
      CHECK(c["block_events"].get<uint64_t>() <= c["contended"].get<uint64_t>());
      CHECK(c["lines"].get<std::string>() != "");
    }
    CHECK(acq == l["acquisitions"].get<uint64_t>());
    CHECK(contended == l["contended"].get<uint64_t>());
    CHECK(hold_s == Approx(l["busy_s"].get<double>()).epsilon(0.01));
    if (contended > 0) ++contended_locks;
  }
  CHECK(contended_locks >= 2);
  // pidlock is taken for the limit check and held through getproc_link.
  CHECK(r["locks"]["pidlock"]["callers"].contains("getproc_limit_check"));
  CHECK_FALSE(r["locks"]["pidlock"]["callers"].contains("getproc_link"));
}

// The callers stay out of the replicated metrics (stats.hpp): the lock's
// own figures are metrics, its callers' are not.
TEST_CASE("numeric_metrics leaves the locks' callers out", "[lockstat]") {
  json r = sample_report();
  r["locks"]["pidlock"]["acquisitions"] = 40;
  r["locks"]["callers"]["acquisitions"] = 2;  // a lock of that name is still a lock
  const auto m = forksim::numeric_metrics(r);
  CHECK(m.at("locks.pidlock.acquisitions") == 40);
  CHECK(m.at("locks.callers.acquisitions") == 2);
  CHECK(m.at("window.length_s") == 4);
  CHECK(m.size() == 5);  // the window's three and the two acquisitions: no caller's figure
}

// `run --lockstat` after the summary, on stdout; with -o - the report has
// stdout and lockstat goes to stderr with the summary. The golden pins the
// default scenario's lock figures: a change to the model's costs or its
// locking moves it (FORKSIM_UPDATE_GOLDEN=1 rewrites it).
TEST_CASE("run --lockstat of a short seeded run matches its golden transcript",
          "[lockstat][cli][golden]") {
  TempDir d;
  const std::vector<std::string> run = {"run", "--set", "duration_s=0.5", "--set",
                                        "warmup_s=0.1", "--seed", "3", "--quiet"};
  Result r = run_cli(d, forksim::test::concat(run, {"--lockstat"}));
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  check_golden("lockstat_default.txt", r.out);
  Result top = run_cli(d, forksim::test::concat(run, {"--lockstat-top", "3", "--lockstat-hold"}));
  REQUIRE(top.status == 0);
  check_golden("lockstat_top3_hold.txt", top.out);
}

TEST_CASE("run --lockstat with -o - prints the report on stdout and lockstat on stderr",
          "[lockstat][cli]") {
  TempDir d;
  Result r = run_cli(d, {"run", "--set", "duration_s=0.3", "--set", "warmup_s=0.1", "-o", "-",
                         "--lockstat"});
  REQUIRE(r.status == 0);
  json report;
  REQUIRE_NOTHROW(report = json::parse(r.out));
  CHECK(report["locks"]["pidlock"].contains("callers"));
  CHECK_THAT(r.err, Contains("forks/s") && Contains("Adaptive mutex spin: ") &&
                        Contains("Adaptive mutex block: ") && !Contains("Adaptive mutex hold"));
  // The summary first, then lockstat.
  CHECK(r.err.find("forks/s") < r.err.find("Adaptive mutex spin"));
}

TEST_CASE("run --lockstat-top refuses a count that is not a whole number from 1", "[lockstat][cli]") {
  TempDir d;
  for (const char* bad : {"0", "-3", "abc", "2.5", "100001"}) {
    INFO(bad);
    Result r = run_cli(d, {"run", "--quiet", std::string("--lockstat-top=") + bad});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains("--lockstat-top must be an integer from 1 to 100000, got '" +
                               std::string(bad) + "'"));
  }
  // Apart from the value, or none at all (boost's own message): named too.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--lockstat-top", "-3"}, {"--lockstat-top="}, {"--lockstat-top"}}) {
    Result r = run_cli(d, forksim::test::concat({"run", "--quiet"}, bad));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains("--lockstat-top"));
  }
  Result replicated = run_cli(d, {"run", "--quiet", "--lockstat", "--replications", "2"});
  CHECK(replicated.status == 2);
  CHECK_THAT(replicated.err,
             Contains("--lockstat prints a single run's locks; it takes no --replications"));
}

// `report --lockstat` prints what `run --lockstat` does, from the file: the
// run report itself, or the replication --run I of a replicated result;
// --run and --point go with --lockstat only, and an index past the runs is
// named. Nothing is written where nothing was asked.
TEST_CASE("report --lockstat prints a result's run as run --lockstat does", "[lockstat][cli]") {
  TempDir d;
  const std::vector<std::string> shortened = {"--set", "duration_s=0.3", "--set", "warmup_s=0.1", "--seed", "3"};
  Result run = run_cli(d, forksim::test::concat({"run", "--quiet", "--lockstat-top", "2", "-o", "r.json"}, shortened));
  REQUIRE(run.status == 0);
  Result rep = run_cli(d, {"report", "r.json", "--lockstat-top", "2"});
  CHECK(rep.status == 0);
  CHECK(rep.err.empty());
  CHECK(rep.out == run.out);
  CHECK(rep.out == lockstat_text(json::parse(forksim::test::read_file(d / "r.json")), LockstatOptions{false, 2}));
  Result to_file = run_cli(d, {"report", "r.json", "--lockstat", "--lockstat-hold", "-o", "l.txt"});
  CHECK(to_file.status == 0);
  CHECK(forksim::test::read_file(d / "l.txt") ==
        lockstat_text(json::parse(forksim::test::read_file(d / "r.json")), LockstatOptions{true, {}}));

  REQUIRE(run_cli(d, forksim::test::concat({"run", "--replications", "2", "-o", "two.json"}, shortened)).status == 0);
  const json two = json::parse(forksim::test::read_file(d / "two.json"));
  Result second = run_cli(d, {"report", "two.json", "--lockstat", "--run", "1"});
  CHECK(second.status == 0);
  CHECK(second.out == lockstat_text(two["runs"][1], {}));
  Result past = run_cli(d, {"report", "two.json", "--lockstat", "--run", "2"});
  CHECK(past.status == 2);
  CHECK(past.err == "forksim report: two.json: runs[2]: out of range (it has 2)\n");
  Result alone = run_cli(d, {"report", "two.json", "--run", "1", "-o", "x.html"});
  CHECK(alone.status == 2);
  CHECK(alone.err == "forksim report: --run goes with --lockstat\n");
  Result negative = run_cli(d, {"report", "two.json", "--lockstat", "--point", "-1"});
  CHECK(negative.status == 2);
  CHECK(negative.err == "forksim report: --point must be an integer from 0 to 1000000, got '-1'\n");
  CHECK(forksim::test::names_in(d.path) == std::set<std::string>{"r.json", "l.txt", "two.json"});
}
