// Scenario parsing: defaults and derived tunables, --set overrides, the
// round trip through to_json(), and the error (key and reason) for each kind
// of bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "scenarios/scenario.hpp"
#include "scenarios/suggest.hpp"

using forksim::apply_override;
using forksim::apply_unset;
using forksim::parse_scenario_text;
using forksim::Dist;
using forksim::parse_scenario;
using forksim::RetryPolicy;
using forksim::Scenario;
using forksim::ScenarioError;
using Catch::Matchers::Contains;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Raw scenario JSON built from --set assignments, as the command line does.
json with(std::initializer_list<const char*> assignments) {
  json j = json::object();
  for (const char* a : assignments) apply_override(j, a);
  return j;
}

Scenario parse_with(std::initializer_list<const char*> assignments) {
  return parse_scenario(with(assignments));
}

// parse_scenario(j) must fail at `key` with a reason containing `reason`.
// Says nothing of j: for hostile values that cannot be dumped.
void expect_error_quietly(const json& j, const std::string& key, const std::string& reason) {
  try {
    parse_scenario(j);
    FAIL("no ScenarioError");
  } catch (const ScenarioError& e) {
    CHECK(e.key() == key);
    CHECK_THAT(e.what(), Contains(key) && Contains(reason));
  }
}

void expect_error(const json& j, const std::string& key, const std::string& reason) {
  INFO("scenario: " << j.dump());
  expect_error_quietly(j, key, reason);
}

// `edit`, the effect of `option arg`, must fail naming the option, with a
// reason containing `reason`.
template <class Edit>
void expect_arg_error(const std::string& option, const std::string& arg,
                      const std::string& reason, Edit edit) {
  INFO(option << " " << arg);
  try {
    edit();
    FAIL("no ScenarioError");
  } catch (const ScenarioError& e) {
    CHECK(e.key() == option);
    CHECK_THAT(e.what(), Contains(reason));
  }
}

void expect_set_error(const std::string& assignment, const std::string& reason,
                      json j = json::object()) {
  expect_arg_error("--set", assignment, reason, [&] { apply_override(j, assignment); });
}

void check_round_trip(const json& j) {
  json once = parse_scenario(j).to_json();
  INFO("resolved: " << once.dump());
  CHECK(parse_scenario(once).to_json() == once);
}

fs::path library_dir() { return fs::path(FORKSIM_SOURCE_DIR) / "scenarios" / "library"; }

}  // namespace

TEST_CASE("an empty scenario takes every default", "[scenario]") {
  Scenario s = parse_scenario(json::object());
  CHECK(s.name == "default");
  CHECK(s.seed == 1);
  CHECK(s.duration_s == 10);
  CHECK(s.warmup_s == 1);  // a tenth of duration_s
  CHECK(s.machine.ncpus == 8);
  CHECK(s.machine.physmem_mb == 16384);
  CHECK(s.costs.empty());
  CHECK(s.workload.type == "closed");
  CHECK(s.workload.path == "fork1");
  CHECK(s.workload.parents == 64);
  CHECK(s.workload.think_s.kind == Dist::Kind::Exponential);
  CHECK(s.workload.parent.uid == 100);
  CHECK_FALSE(s.workload.parent.privileged);
  CHECK_FALSE(s.workload.admin_probe.enabled);
  // The struct defaults are the resolved defaults.
  CHECK(Scenario{}.to_json() == s.to_json());
}

TEST_CASE("tunables derive from physical memory as param.c does", "[scenario]") {
  SECTION("16 GB: the process table is capped at pidmax") {
    auto t = parse_scenario(json::object()).tunables;
    CHECK(t.pidmax == 30000);
    CHECK(t.max_nprocs == 30000);
    CHECK(t.reserved_procs == 5);
    CHECK(t.maxuprc == 29995);
      CHECK(t.swapfs_minfree_mb == 2048);  // physmem / 8
    CHECK(t.swapfs_reserve_mb == 128);   // capped at 128 MB
  }
  SECTION("512 MB: maxusers 512") {
    auto t = parse_with({"machine.physmem_mb=512"}).tunables;
    CHECK(t.max_nprocs == 10 + 16 * 512);
    CHECK(t.max_nprocs == 8202);
    CHECK(t.maxuprc == 8197);
    CHECK(t.swapfs_minfree_mb == 64);
    CHECK(t.swapfs_reserve_mb == 4);  // physmem / 128 = 4
  }
  SECTION("tiny memory: maxusers at least 8, swapfs floors") {
    auto t = parse_with({"machine.physmem_mb=4"}).tunables;
    CHECK(t.max_nprocs == 10 + 16 * 8);
    CHECK(t.swapfs_minfree_mb == 2);
    CHECK(t.swapfs_reserve_mb == 4);
  }
  SECTION("large memory: maxusers at most 2048, then the pidmax cap") {
    CHECK(parse_with({"machine.physmem_mb=1e6"}).tunables.max_nprocs == 30000);
    auto t = parse_with({"machine.physmem_mb=1e6", "tunables.pidmax=999999"}).tunables;
    CHECK(t.max_nprocs == 10 + 16 * 2048);
    CHECK(t.swapfs_reserve_mb == 128);
  }
  SECTION("a smaller pidmax caps the derived table") {
    CHECK(parse_with({"tunables.pidmax=1000"}).tunables.max_nprocs == 1000);
  }
  SECTION("explicit values stand; maxuprc follows them") {
    auto t = parse_with({"tunables.max_nprocs=2000", "tunables.reserved_procs=10",
                         "tunables.swapfs_minfree_mb=0"})
                 .tunables;
    CHECK(t.max_nprocs == 2000);
    CHECK(t.maxuprc == 1990);
    CHECK(t.swapfs_minfree_mb == 0);
    CHECK(parse_with({"tunables.maxuprc=100"}).tunables.maxuprc == 100);
  }
}

TEST_CASE("set assignments build the scenario JSON", "[scenario][override]") {
  json j = with({"machine.ncpus=16", "machine.cpu_speed=1.5", "workload.child.exec=false",
                 "workload.think_s={\"dist\":\"uniform\",\"min\":0.1,\"max\":0.2}",
                 "name=\"quoted\"", "description=plain words", "workload.path=vfork"});
  CHECK(j["machine"]["ncpus"] == 16);
  CHECK(j["workload"]["child"]["exec"] == false);
  CHECK(j["name"] == "quoted");
  CHECK(j["description"] == "plain words");

  Scenario s = parse_scenario(j);
  CHECK(s.machine.ncpus == 16);
  CHECK(s.machine.cpu_speed == 1.5);
  CHECK_FALSE(s.workload.child.exec);
  CHECK(s.workload.path == "vfork");
  CHECK(s.workload.think_s.kind == Dist::Kind::Uniform);
  CHECK(s.workload.think_s.b == 0.2);

  SECTION("a later assignment replaces an earlier one, and null counts as absent") {
    json k = with({"machine.ncpus=4", "machine.ncpus=32", "workload.admin_probe=null",
                   "workload.admin_probe.uid=0"});
    CHECK(k["machine"]["ncpus"] == 32);
    CHECK(k["workload"]["admin_probe"]["uid"] == 0);
  }
  SECTION("validation is parse_scenario's job") {
    expect_error(with({"machine.ncpu=3"}), "machine.ncpu", "unknown key");
  }
}

TEST_CASE("malformed --set assignments", "[scenario][override]") {
  expect_set_error("machine.ncpus", "expected KEY=VALUE");
  expect_set_error("=3", "no key");
  expect_set_error("machine..ncpus=3", "empty segment");
  expect_set_error(".ncpus=3", "empty segment");
  expect_set_error("machine.=3", "empty segment");
  expect_set_error("machine.ncpus.x=3", "machine.ncpus is number 8, not an object",
                   json{{"machine", {{"ncpus", 8}}}});
  expect_set_error("a=1", "the scenario is array", json::array());
}

TEST_CASE("to_json round-trips", "[scenario][json]") {
  check_round_trip(json::object());
  check_round_trip(with({"workload.type=open", "workload.rate_per_s=250",
                         "workload.child.cpu_s={\"dist\":\"lognormal\",\"mean\":0.002,\"cv\":1.5}",
                         "workload.parent.class=RT", "workload.parent.uid=0"}));
  check_round_trip(with({"workload.type=fork_bomb", "workload.initial=4",
                         "workload.retry={\"policy\":\"exponential\",\"delay_s\":0.01,"
                         "\"max_delay_s\":2}",
                         "workload.admin_probe={\"interval_s\":0.25}"}));
  check_round_trip(with({"workload.type=fork_bomb",
                         "workload.retry={\"policy\":\"fixed\",\"delay_s\":0.1}"}));
  check_round_trip(with({"costs.*=100", "costs.as_dup_page={\"dist\":\"exponential\",\"mean\":50}",
                         "costs.pid_probe={\"dist\":\"uniform\",\"min\":1,\"max\":2}",
                         "seed=18446744073709551615", "tunables.maxuprc=7"}));
}

TEST_CASE("to_json writes what the scenario means", "[scenario][json]") {
  SECTION("fixed distributions as numbers, others as objects") {
    json j = parse_scenario(json::object()).to_json();
    CHECK(j["workload"]["child"]["lifetime_s"] == 0.001);
    CHECK(j["workload"]["think_s"] == json{{"dist", "exponential"}, {"mean", 0.01}});
  }
  SECTION("derived tunables are written resolved") {
    json j = parse_with({"machine.physmem_mb=512"}).to_json();
    CHECK(j["tunables"]["max_nprocs"] == 8202);
    CHECK(j["tunables"]["swapfs_reserve_mb"] == 4.0);
  }
  SECTION("only the workload keys of its type") {
    json closed = parse_scenario(json::object()).to_json()["workload"];
    CHECK(closed.contains("think_s"));
    CHECK_FALSE(closed.contains("rate_per_s"));
    CHECK_FALSE(closed.contains("retry"));

    json open = parse_with({"workload.type=open"}).to_json()["workload"];
    CHECK(open.contains("rate_per_s"));
    CHECK(open.contains("child"));
    CHECK_FALSE(open.contains("think_s"));

    json bomb = parse_with({"workload.type=fork_bomb"}).to_json()["workload"];
    CHECK(bomb.contains("parent"));
    CHECK(bomb["admin_probe"].is_null());
    CHECK(bomb["retry"] == json{{"policy", "exponential"}, {"delay_s", 0.001},
                                {"max_delay_s", 1.0}, {"jitter", 0.0}});
    CHECK(bomb["fan_out"].is_null());  // fork for ever
    CHECK(bomb["exit_after_fork"] == false);
    for (const char* k : {"parents", "think_s", "rate_per_s", "child"})
      CHECK_FALSE(bomb.contains(k));
  }
  SECTION("costs only as given") {
    json j = parse_with({"costs.*=0", "costs.fork_publish=300"}).to_json();
    CHECK(j["costs"] == json{{"*", 0.0}, {"fork_publish", 300.0}});
  }
}

TEST_CASE("fork bomb settings", "[scenario]") {
  Scenario s = parse_with({"workload.type=fork_bomb", "workload.retry.policy=immediate",
                           "workload.admin_probe.interval_s=0.5"});
  CHECK(s.workload.retry.kind == RetryPolicy::Kind::Immediate);
  CHECK(s.workload.admin_probe.enabled);
  CHECK(s.workload.admin_probe.uid == 0);
  CHECK(s.workload.admin_probe.interval_s == 0.5);
  CHECK(s.workload.parent.uid == 100);  // parent defaults still apply
  CHECK_FALSE(parse_with({"workload.type=fork_bomb", "workload.admin_probe=null"})
                  .workload.admin_probe.enabled);
}

TEST_CASE("uid 0 is privileged", "[scenario]") {
  CHECK(parse_with({"workload.parent.uid=0"}).workload.parent.privileged);
  expect_error(with({"workload.parent.uid=0", "workload.parent.privileged=false"}),
               "workload.parent.privileged", "uid 0 is always privileged");
}

TEST_CASE("integers written as 16.0 are integers", "[scenario]") {
  CHECK(parse_scenario(json{{"machine", {{"ncpus", 16.0}}}}).machine.ncpus == 16);
  CHECK(parse_scenario(json{{"seed", 7.0}}).seed == 7);
}

TEST_CASE("unknown keys", "[scenario][errors]") {
  expect_error(with({"durration_s=5"}), "durration_s", "unknown key");
  expect_error(with({"machine.ncpu=3"}), "machine.ncpu", "unknown key");
  expect_error(with({"tunables.nproc=3"}), "tunables.nproc", "unknown key");
  expect_error(with({"workload.child.exec_mb=3"}), "workload.child.exec_mb", "unknown key");
  expect_error(with({"workload.parent.gid=3"}), "workload.parent.gid", "unknown key");
  expect_error(with({"workload.type=fork_bomb", "workload.admin_probe.every=1"}),
               "workload.admin_probe.every", "unknown key");
}

TEST_CASE("wrong JSON types", "[scenario][errors]") {
  expect_error(json::array(), "", "must be a JSON object, got array");
  expect_error(with({"machine.ncpus=\"eight\""}), "machine.ncpus",
               "expected an integer, got string");
  expect_error(with({"machine.cpu_speed=fast"}), "machine.cpu_speed",
               "expected a number, got string");
  expect_error(with({"name=3"}), "name", "expected a string, got number");
  expect_error(with({"workload.child.exec=1"}), "workload.child.exec",
               "expected a boolean, got number");
  expect_error(with({"machine=4"}), "machine", "expected an object, got number");
  expect_error(with({"workload.type=fork_bomb", "workload.admin_probe=true"}),
               "workload.admin_probe", "expected an object, got boolean");
  expect_error(with({"workload.think_s=[1]"}), "workload.think_s",
               "expected a number or a distribution object, got array");
}

TEST_CASE("integers must be whole", "[scenario][errors]") {
  expect_error(with({"machine.ncpus=16.5"}), "machine.ncpus", "expected an integer, got 16.5");
  expect_error(with({"seed=1.5"}), "seed", "expected an integer, got 1.5");
  expect_error(with({"workload.parent.open_files=1e20"}), "workload.parent.open_files",
               "out of range for an integer");
}

TEST_CASE("values out of range", "[scenario][errors]") {
  expect_error(with({"duration_s=0"}), "duration_s", "must be > 0, got 0");
  expect_error(with({"warmup_s=-1"}), "warmup_s", "must be >= 0, got -1");
  expect_error(with({"seed=-1"}), "seed", "must be >= 0, got -1");
  expect_error(with({"timeseries_s=0"}), "timeseries_s", "must be > 0");
  expect_error(with({"machine.ncpus=0"}), "machine.ncpus", "must be between 1 and 4096, got 0");
  expect_error(with({"machine.ncpus=5000"}), "machine.ncpus", "between 1 and 4096");
  expect_error(with({"machine.hz=0"}), "machine.hz", "between 1 and 100000");
  expect_error(with({"machine.cpu_speed=0"}), "machine.cpu_speed", "must be > 0");
  expect_error(with({"machine.swap_mb=-1"}), "machine.swap_mb", "must be >= 0");
  expect_error(with({"machine.system_procs=0"}), "machine.system_procs", "must be >= 1");
  expect_error(with({"workload.parents=0"}), "workload.parents", "must be >= 1");
  expect_error(with({"workload.parent.lwps=0"}), "workload.parent.lwps", "between 1 and 100000");
  expect_error(with({"workload.parent.writable_mb=-2"}), "workload.parent.writable_mb",
               "must be >= 0");
  expect_error(with({"workload.type=open", "workload.rate_per_s=0"}), "workload.rate_per_s",
               "must be >= 1e-15");
}

TEST_CASE("warm-up must end before the run does", "[scenario][errors]") {
  expect_error(with({"duration_s=5", "warmup_s=5"}), "warmup_s",
               "must be < duration_s (5), got 5");
}

TEST_CASE("tunables that contradict each other", "[scenario][errors]") {
  expect_error(with({"tunables.maxuprc=29996"}), "tunables.maxuprc",
               "must be <= max_nprocs - reserved_procs (29995), got 29996");
  expect_error(with({"tunables.maxuprc=0"}), "tunables.maxuprc", "must be >= 1");
  expect_error(with({"tunables.max_nprocs=40000"}), "tunables.max_nprocs",
               "must be <= pidmax (30000), got 40000");
  expect_error(with({"tunables.max_nprocs=64"}), "tunables.max_nprocs",
               "must be > machine.system_procs (64), got 64");
  expect_error(with({"machine.physmem_mb=4", "machine.system_procs=500"}),
               "tunables.max_nprocs", "the default for this machine, 138");
  expect_error(with({"tunables.pidmax=1000000"}), "tunables.pidmax",
               "must be between 266 and 999999, got 1000000");
  expect_error(with({"tunables.pidmax=100"}), "tunables.pidmax", "between 266 and 999999");
  expect_error(with({"tunables.max_nprocs=100", "tunables.reserved_procs=100"}),
               "tunables.reserved_procs", "must be between 0 and 99, got 100");
  expect_error(with({"tunables.reserved_procs=-1"}), "tunables.reserved_procs",
               "must be between 0 and");
}

TEST_CASE("costs", "[scenario]") {
  Scenario s = parse_with({"costs.*=10", "costs.pid_probe={\"dist\":\"exponential\",\"mean\":40}"});
  CHECK(s.costs.at("*").a == 10);
  CHECK(s.costs.at("pid_probe").kind == Dist::Kind::Exponential);

  expect_error(with({"costs.pid_prob=3"}), "costs.pid_prob", "forksim explain");
  expect_error(with({"costs.as_dup=-1"}), "costs.as_dup", "must be >= 0, got -1");
  expect_error(with({"costs=[]"}), "costs", "expected an object, got array");
}

TEST_CASE("bad distributions", "[scenario][errors]") {
  expect_error(with({"workload.think_s={\"dist\":\"gamma\",\"mean\":1}"}),
               "workload.think_s.dist", "must be one of");
  expect_error(with({"workload.think_s={\"mean\":1}"}), "workload.think_s.dist", "missing");
  expect_error(with({"workload.think_s={\"dist\":\"exponential\"}"}), "workload.think_s.mean",
               "missing: the exponential distribution needs it");
  expect_error(with({"workload.think_s={\"dist\":\"exponential\",\"mean\":-1}"}),
               "workload.think_s.mean", "must be >= 0");
  expect_error(with({"workload.child.lifetime_s={\"dist\":\"uniform\",\"min\":2,\"max\":1}"}),
               "workload.child.lifetime_s.max", "must be >= min (2), got 1");
  expect_error(with({"workload.child.cpu_s={\"dist\":\"lognormal\",\"mean\":1}"}),
               "workload.child.cpu_s.cv", "missing");
  expect_error(with({"workload.think_s={\"dist\":\"exponential\",\"mean\":1,\"cv\":2}"}),
               "workload.think_s.cv", "not a field of the exponential distribution");
  expect_error(with({"workload.child.lifetime_s=-0.5"}), "workload.child.lifetime_s",
               "must be >= 0");
}

TEST_CASE("keys of another workload type", "[scenario][errors]") {
  expect_error(with({"workload.rate_per_s=10"}), "workload.rate_per_s",
               "applies only to open and service workloads");
  expect_error(with({"workload.type=open", "workload.think_s=1"}), "workload.think_s",
               "applies only to closed workloads");
  expect_error(with({"workload.retry.policy=immediate"}), "workload.retry",
               "applies only to fork_bomb workloads");
  expect_error(with({"workload.type=fork_bomb", "workload.child.exec=false"}), "workload.child",
               "applies only to closed, open and service workloads");
  expect_error(with({"workload.type=fork_bomb", "workload.parents=3"}), "workload.parents",
               "applies only to closed and open workloads");
}

TEST_CASE("bad choices", "[scenario][errors]") {
  expect_error(with({"workload.type=bomb"}), "workload.type", "must be one of");
  expect_error(with({"workload.path=fork"}), "workload.path", "\"fork1\", \"forkall\", \"vfork\"");
  expect_error(with({"workload.parent.class=FSS"}), "workload.parent.class",
               "must be one of \"TS\", \"RT\"; got \"FSS\"");
}

TEST_CASE("bad retry policies", "[scenario][errors]") {
  auto bomb = [](const char* retry) { return with({"workload.type=fork_bomb", retry}); };
  expect_error(bomb("workload.retry.policy=linear"), "workload.retry.policy", "must be one of");
  expect_error(bomb("workload.retry={\"policy\":\"immediate\",\"delay_s\":1}"),
               "workload.retry.delay_s", "not used by the immediate retry policy");
  expect_error(bomb("workload.retry={\"policy\":\"fixed\",\"max_delay_s\":1}"),
               "workload.retry.max_delay_s", "not used by the fixed retry policy");
  expect_error(bomb("workload.retry={\"policy\":\"fixed\",\"delay_s\":0}"),
               "workload.retry.delay_s", "must be > 0");
  expect_error(bomb("workload.retry={\"policy\":\"exponential\",\"delay_s\":2,"
                    "\"max_delay_s\":1}"),
               "workload.retry.max_delay_s", "must be >= delay_s (2), got 1");
  expect_error(bomb("workload.retry=\"immediate\""), "workload.retry",
               "expected an object, got string");
}

TEST_CASE("scenario files", "[scenario][files]") {
  SECTION("a missing file") {
    try {
      forksim::load_scenario_file("/nonexistent/x.json");
      FAIL("no ScenarioError");
    } catch (const ScenarioError& e) {
      CHECK(e.key() == "/nonexistent/x.json");
      CHECK_THAT(e.what(), Contains("cannot open"));
    }
  }
  SECTION("a JSON syntax error") {
    fs::path p = fs::temp_directory_path() / "forksim_test_scenario_bad.json";
    std::ofstream(p) << "{\"name\": \"x\",}";
    try {
      forksim::load_scenario_file(p.string());
      FAIL("no ScenarioError");
    } catch (const ScenarioError& e) {
      CHECK(e.key() == p.string());
      CHECK_THAT(e.what(), Contains("not valid JSON") && Contains("parse error"));
    }
    fs::remove(p);
  }
  SECTION("every library scenario parses and round-trips") {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(library_dir())) {
      if (entry.path().extension() != ".json") continue;
      INFO(entry.path());
      json j = forksim::load_scenario_file(entry.path().string());
      CHECK(parse_scenario(j).name == entry.path().stem().string());
      check_round_trip(j);
      ++n;
    }
    CHECK(n >= 3);
  }
  SECTION("capacity-shells.json is the defaults") {
    json lib = parse_scenario(
                   forksim::load_scenario_file((library_dir() / "capacity-shells.json").string()))
                   .to_json();
    json def = parse_scenario(json::object()).to_json();
    for (json* j : {&lib, &def}) {
      j->erase("description");
      j->erase("name");
    }
    CHECK(lib == def);
  }
  SECTION("the tests' immediate-retry fork bomb") {
    Scenario s = parse_scenario(forksim::load_scenario_file(
        (library_dir() / ".." / ".." / "tests" / "fixtures" / "fork_bomb.json").string()));
    CHECK(s.workload.type == "fork_bomb");
    CHECK(s.machine.ncpus == 32);
    CHECK(s.workload.retry.kind == RetryPolicy::Kind::Immediate);
    CHECK(s.workload.admin_probe.enabled);
    CHECK(s.tunables.max_nprocs == 2000);
    CHECK(s.warmup_s == 0);
  }
}

TEST_CASE("the default warm-up is a tenth of the run", "[scenario]") {
  CHECK(parse_with({"duration_s=0.5"}).warmup_s == 0.05);
  CHECK(parse_with({"duration_s=60"}).warmup_s == 6);
  CHECK(parse_with({"duration_s=0.5", "warmup_s=0"}).warmup_s == 0);
  CHECK(parse_with({"warmup_s=2"}).warmup_s == 2);
  // Written resolved, so that a report's scenario reruns with the same window.
  CHECK(parse_with({"duration_s=0.5"}).to_json()["warmup_s"] == 0.05);
  // A warm-up given too long says how to get the relative one.
  expect_error(with({"duration_s=0.5", "warmup_s=1"}), "warmup_s",
               "must be < duration_s (0.5), got 1; without warmup_s the warm-up is a tenth of "
               "duration_s");
}

TEST_CASE("errors suggest the key or choice meant", "[scenario][errors]") {
  expect_error(with({"machine.ncpsu=3"}), "machine.ncpsu", "unknown key; did you mean \"ncpus\"?");
  expect_error(with({"durations_s=3"}), "durations_s", "unknown key; did you mean \"duration_s\"?");
  expect_error(with({"workload.parent.clas=TS"}), "workload.parent.clas",
               "did you mean \"class\"?");
  expect_error(with({"workload.type=clsed"}), "workload.type",
               "got \"clsed\"; did you mean \"closed\"?");
  expect_error(with({"costs.pid_prob=3"}), "costs.pid_prob", "did you mean \"pid_probe\"?");
  expect_error(with({"workload.think_s={\"dist\":\"exponentail\",\"mean\":1}"}),
               "workload.think_s.dist", "did you mean \"exponential\"?");
  // A misspelt field is named as one, not reported as the missing field.
  expect_error(with({"workload.think_s={\"dist\":\"exponential\",\"maen\":1}"}),
               "workload.think_s.maen",
               "not a field of the exponential distribution; did you mean \"mean\"?");
  SECTION("no suggestion when nothing is near") {
    try {
      parse_scenario(with({"machine.frobnicate=3"}));
      FAIL("no ScenarioError");
    } catch (const ScenarioError& e) {
      CHECK(e.reason() == "unknown key");
    }
  }
}

TEST_CASE("did you mean: distance and choice", "[scenario][suggest]") {
  using forksim::did_you_mean;
  using forksim::edit_distance;
  CHECK(edit_distance("ncpus", "ncpus") == 0);
  CHECK(edit_distance("ncpsu", "ncpus") == 1);  // a transposition is one edit
  CHECK(edit_distance("ncpu", "ncpus") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(did_you_mean("of", {"on", "off", "auto"}) == "; did you mean \"off\"?");
  CHECK(did_you_mean("ncpus", {"ncpus"}).empty());  // the word itself is no typo
  CHECK(did_you_mean("xyz", {"ncpus", "hz"}).empty());
  // A huge word is dismissed by its length, without computing the distance.
  CHECK(did_you_mean(std::string(50u << 20, 'n'), {"ncpus"}).empty());
}

TEST_CASE("unset removes a key so that its default applies", "[scenario][override]") {
  json j = with({"machine.ncpus=4", "warmup_s=3", "duration_s=20"});
  apply_unset(j, "machine.ncpus");
  apply_unset(j, "warmup_s");
  CHECK(j == json{{"machine", json::object()}, {"duration_s", 20}});
  Scenario s = parse_scenario(j);
  CHECK(s.machine.ncpus == 8);
  CHECK(s.warmup_s == 2);
  SECTION("an absent key is no error") {
    apply_unset(j, "tunables.pidmax");
    apply_unset(j, "name");
    CHECK(j == json{{"machine", json::object()}, {"duration_s", 20}});
  }
  SECTION("a malformed key is") {
    for (auto [bad, reason] : {std::pair{"", "no key given"}, {"a..b", "empty segment"},
                               {".a", "empty segment"}, {"a.", "empty segment"},
                               {"\xff", "key \"\\xff\" is not valid UTF-8"}})
      expect_arg_error("--unset", bad, reason, [&] { apply_unset(j, bad); });
  }
  SECTION("and so is a path through a value that is not an object") {
    try {
      apply_unset(j, "duration_s.x");
      FAIL("no ScenarioError");
    } catch (const ScenarioError& e) {
      CHECK_THAT(e.what(), Contains("duration_s is number 20, not an object"));
    }
  }
}

TEST_CASE("set with an object replaces the whole object", "[scenario][override]") {
  // A closed workload's think_s would be misplaced in an open one: replacing
  // the object switches the type without it.
  json j = with({"workload.think_s=0.5", "workload.parents=3"});
  apply_override(j, "workload={\"type\": \"open\", \"rate_per_s\": 50}");
  CHECK(j["workload"] == json{{"type", "open"}, {"rate_per_s", 50}});
  Scenario s = parse_scenario(j);
  CHECK(s.workload.type == "open");
  CHECK(s.workload.parents == 64);
  SECTION("--unset then --set of one key does the same") {
    json k = with({"workload.think_s=0.5"});
    apply_unset(k, "workload");
    apply_override(k, "workload.type=open");
    CHECK(parse_scenario(k).workload.type == "open");
  }
}

TEST_CASE("a refused --set leaves the scenario usable", "[scenario][override][hostile]") {
  json j = with({"machine.ncpus=4"});
  for (const char* bad : {"name=\xff", "name=caf\xe9", "duration_s=1e400",
                          "workload={\"type\": \"open\", \"type\": \"closed\"}"}) {
    INFO("--set " << bad);
    CHECK_THROWS_AS(apply_override(j, bad), ScenarioError);
    CHECK(j == json{{"machine", {{"ncpus", 4}}}});
  }
  apply_override(j, "name=caf\xc3\xa9");  // UTF-8 is fine
  CHECK(parse_scenario(j).name == "caf\xc3\xa9");
  CHECK_NOTHROW(j.dump());
}

TEST_CASE("set values get the file's checks, at their key", "[scenario][override][hostile]") {
  auto error_of = [](const std::string& assignment) {
    json j = json::object();
    try {
      apply_override(j, assignment);
    } catch (const ScenarioError& e) {
      return std::pair{e.key(), e.reason()};
    }
    return std::pair{std::string("no error"), std::string()};
  };
  auto [k1, r1] = error_of("duration_s=1e400");
  CHECK(k1 == "duration_s");
  CHECK_THAT(r1, Contains("out of the range of a double: 1e400"));
  auto [k2, r2] = error_of("workload={\"child\": {\"cpu_s\": 5, \"cpu_s\": 6}}");
  CHECK(k2 == "workload.child.cpu_s");
  CHECK_THAT(r2, Contains("duplicate key"));
  auto [k3, r3] = error_of("name=" + std::string(100000, '[') + std::string(100000, ']'));
  CHECK(k3 == "name[0][0][0][0][0][0][0][0][...]");
  CHECK_THAT(r3, Contains("nested deeper than 64 levels"));
  auto [k4, r4] = error_of("\xff=1");
  CHECK(k4 == "--set");
  CHECK_THAT(r4, Contains("not valid UTF-8"));
}

TEST_CASE("the scenario text reader refuses what the format refuses", "[scenario][hostile]") {
  auto error_of = [](const std::string& text) {
    try {
      parse_scenario_text(text, "s.json");
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("{\"duration_s\": 1e400}") ==
        "duration_s: number out of the range of a double: 1e400 (s.json, byte 20)");
  CHECK(error_of("1e400") == "s.json: number out of the range of a double: 1e400 (s.json, byte 5)");
  CHECK(error_of("{\"costs\": {\"x\": [1, 2, -1e999]}}") ==
        "costs.x[2]: number out of the range of a double: -1e999 (s.json, byte 29)");
  CHECK(error_of("{\"machine\": {\"ncpus\": 4, \"ncpus\": 5}}") ==
        "machine.ncpus: duplicate key (s.json)");
  CHECK(error_of("[{\"a\": 1}, {\"a\": 1}]") == "no error");  // one key per object
  CHECK(error_of(std::string(64, '[') + std::string(64, ']')) == "no error");
  CHECK_THAT(error_of(std::string(65, '[') + std::string(65, ']')),
             Contains("nested deeper than 64 levels"));
  CHECK_THAT(error_of("{\"name\": \"caf\xe9\"}"),
             Contains("s.json: not valid JSON") && Contains("UTF-8"));
  CHECK_THAT(error_of(""), Contains("s.json: not valid JSON"));
  CHECK_THAT(error_of(std::string(17u << 20, ' ')), Contains("larger than the 16 MiB"));
  SECTION("a huge bad token is shown cut short") {
    std::string msg = error_of("{\"" + std::string(1 << 20, 'k') + "\": tru}");
    CHECK_THAT(msg, Contains("not valid JSON") && Contains("bytes)"));
    CHECK(msg.size() < 400);
  }
}

TEST_CASE("a huge key is cut short in the message", "[scenario][hostile]") {
  const std::string key(50u << 20, 'k');
  try {
    parse_scenario(json{{key, 1}});
    FAIL("no ScenarioError");
  } catch (const ScenarioError& e) {
    CHECK(e.key() == std::string(40, 'k') + "... (52428800 bytes)");
    CHECK(std::string(e.what()).size() < 100);
  }
  expect_error_quietly(json{{"description", "caf\xe9"}}, "description",
                       "not valid UTF-8: string \"caf\\xe9\"");
  // Values too, and bytes a caller's JSON may hold that are not UTF-8.
  expect_error_quietly(json{{"name", std::string(1000, 'x')}, {"duration_s", "\xff"}}, "duration_s",
               "expected a number, got string \"\\xff\"");
  expect_error_quietly(json{{"duration_s", std::string(1000, 'x')}}, "duration_s",
               "got string \"" + std::string(40, 'x') + "... (1000 bytes)\"");
}

TEST_CASE("a deeply nested value built by a caller is never rendered", "[scenario][hostile]") {
  // Not through the reader (which refuses it): the message must not recurse.
  // Each value built anew and moved in: nlohmann's copy recurses, and a
  // copy of 100,000 levels overflows the stack under ASan.
  auto deep = [] {
    json d = json::array();
    for (int i = 0; i < 100000; ++i) d = json::array({std::move(d)});
    return d;
  };
  expect_error_quietly(json{{"name", deep()}}, "name", "expected a string, got array");
  expect_error_quietly(json{{"machine", {{"ncpus", deep()}}}}, "machine.ncpus",
               "expected an integer, got array");
  expect_error_quietly(json{{"costs", {{"pid_probe", deep()}}}}, "costs.pid_probe",
               "expected a number or a distribution object, got array");
}

TEST_CASE("distributions whose draws could overflow are refused", "[scenario][errors][hostile]") {
  const std::string bound = "must be at most 1e+15, so that every draw is a finite time";
  expect_error(with({"workload.child.cpu_s={\"dist\":\"lognormal\",\"mean\":1,\"cv\":1e200}"}),
               "workload.child.cpu_s.cv", "must be at most 1000000");
  expect_error(with({"workload.think_s={\"dist\":\"exponential\",\"mean\":1e308}"}),
               "workload.think_s.mean", bound + "; got 1e+308");
  expect_error(with({"workload.think_s={\"dist\":\"uniform\",\"min\":0,\"max\":1e308}"}),
               "workload.think_s.max", bound);
  expect_error(with({"workload.child.lifetime_s={\"dist\":\"lognormal\",\"mean\":1e16,\"cv\":1}"}),
               "workload.child.lifetime_s.mean", bound);
  expect_error(with({"costs.*=1e300"}), "costs.*", bound);
  expect_error(with({"workload.type=open", "workload.rate_per_s=1e-300"}), "workload.rate_per_s",
               "must be >= 1e-15");
  SECTION("at the bounds every draw is finite") {
    Scenario s = parse_with(
        {"workload.child.cpu_s={\"dist\":\"lognormal\",\"mean\":1e15,\"cv\":1e6}",
         "workload.think_s={\"dist\":\"exponential\",\"mean\":1e15}",
         "workload.child.lifetime_s={\"dist\":\"uniform\",\"min\":1e15,\"max\":1e15}"});
    forksim::Rng rng(7);
    for (const Dist* d : {&s.workload.child.cpu_s, &s.workload.think_s, &s.workload.child.lifetime_s})
      for (int i = 0; i < 100000; ++i) {
        double x = d->sample(rng);
        REQUIRE(std::isfinite(x));
        REQUIRE(x >= 0);
      }
  }
}

TEST_CASE("scenario text round-trips through to_json", "[scenario][json]") {
  for (const json& raw :
       {json::object(), with({"workload.type=fork_bomb", "workload.admin_probe={\"uid\":0}",
                              "seed=18446744073709551615", "name=caf\xc3\xa9"}),
        with({"costs.pid_probe={\"dist\":\"lognormal\",\"mean\":3.3,\"cv\":0.1}",
              "duration_s=0.7", "machine.cpu_speed=1.1"})}) {
    Scenario s = parse_scenario(raw);
    json once = s.to_json();
    CHECK(parse_scenario(parse_scenario_text(once.dump(), "t")).to_json() == once);
    CHECK(parse_scenario(parse_scenario_text(once.dump(2), "t")).to_json() == once);
  }
}
