// Reserved against resident memory, and the write faults after a fork
// (models/cow.cpp), held to known answers: the measured per-page costs
// times the pages (docs/measurements.md).
#include <catch2/catch.hpp>

#include "models/steps.hpp"
#include "tests/support.hpp"

using nlohmann::json;
using forksim::test::run_cli;
using forksim::test::run_forksim;
using forksim::test::TempDir;

namespace {

constexpr double kPagesPerGb = 262144;

double cost_s(const char* step) { return forksim::find_step(step)->cost_ns * 1e-9; }

// "--set" before each assignment.
std::vector<std::string> sets(const std::vector<std::string>& assignments) {
  std::vector<std::string> a;
  for (const auto& s : assignments) a.insert(a.end(), {"--set", s});
  return a;
}

// One parent forking children that exit at once, without exec.
json one_parent(std::vector<std::string> more) {
  std::vector<std::string> a = {"workload.parents=1", "workload.child.exec=false",
                                "workload.child.lifetime_s=0", "workload.think_s=0.001"};
  a.insert(a.end(), more.begin(), more.end());
  return run_forksim(sets(a));
}

// A 1 GB parent that rewrites its memory at 1 GB/s in a fixed 2 s think:
// the run's one fork comes at 2 s, and the sweep after it reaches every
// page after a second of writing (plus the faults' own CPU).
json rewriter(const std::string& path, const std::string& lifetime, const std::string& reap) {
  return run_forksim(sets({"workload.parents=1", "workload.child.exec=false",
                           "workload.parent.reserved_mb=1024", "workload.parent.writes_mb_per_s=1024",
                           "workload.think_s=2", "duration_s=4.1", "warmup_s=0",
                           "workload.path=" + path, "workload.child.lifetime_s=" + lifetime,
                           "workload.parent.reap=" + reap}));
}

void check_balanced(const json& r) {
  CHECK(r["invariants"]["drained"] == true);
  CHECK(r["invariants"]["cow_page_balance"] == 0);
  CHECK(std::abs(r["invariants"]["reserved_mb_after_drain"].get<double>()) < 1e-6);
}

}  // namespace

// as_dup's per-page work follows the 3 GB present, not the 24 GB reserved:
// 786,432 pages at as_dup_page's cost, the rest of a fork being tens of us.
TEST_CASE("a 24 GB reserved, 3 GB resident parent forks at the cost of its 3 GB",
          "[memory]") {
  json r = one_parent({"machine.physmem_mb=65536", "machine.swap_mb=65536",
                       "workload.parent.reserved_mb=24576", "workload.parent.resident_mb=3072",
                       "duration_s=1", "warmup_s=0.1"});
  const json& f = r["paths"]["fork1"];
  REQUIRE(f["successes"].get<int>() >= 5);
  CHECK(f["failures"].empty());
  const double pages = 3 * kPagesPerGb;
  CHECK(f["latency_s"]["mean"].get<double>() ==
        Approx(pages * cost_s("as_dup_page")).epsilon(0.10));
  check_balanced(r);
}

// The reservation follows the 24 GB: on 48 GB of RAM and no disk swap,
// 42,880 MB are reservable (49152 - 6144 minfree - 128 reserve); the parent
// holds 24,576 of them, so its fork's 24,576 more cannot fit, although its
// 3 GB resident would.
TEST_CASE("a 24 GB reserved, 3 GB resident parent's fork fails ENOMEM by its 24 GB",
          "[memory]") {
  auto run = [](const std::string& reserved) {
    return one_parent({"machine.physmem_mb=49152", "machine.swap_mb=0",
                       "workload.parent.reserved_mb=" + reserved,
                       "workload.parent.resident_mb=3072", "duration_s=0.5", "warmup_s=0.1"});
  };
  json big = run("24576"), small = run("3072");
  const json& f = big["paths"]["fork1"];
  REQUIRE(f["attempts"].get<int>() > 10);
  CHECK(f["successes"] == 0);
  CHECK(f["failures"]["ENOMEM"] == f["attempts"]);
  CHECK(big["memory"]["reserved_max_mb"].get<double>() == Approx(24576));
  CHECK(small["paths"]["fork1"]["successes"].get<int>() > 2);  // about 60 ms a fork
  CHECK(small["paths"]["fork1"]["failures"].empty());
  check_balanced(big);
  check_balanced(small);
}

// The child lives 2 s, past the parent's whole sweep: every one of the
// 262,144 pages is copied, at cow_fault_copy's cost each. The parent ran
// slowed from the fork until its last page: a second of writing plus the
// faults' CPU.
TEST_CASE("rewriting 1 GB while the forked child lives takes 262,144 copies", "[memory]") {
  json r = rewriter("fork1", "2", "before_next_fork");
  const json& f = r["paths"]["fork1"];
  REQUIRE(f["successes"] == 1);
  const json& w = f["write_faults"];
  CHECK(w["faults"] == kPagesPerGb);
  CHECK(w["copies"] == kPagesPerGb);
  const double cpu = kPagesPerGb * cost_s("cow_fault_copy");
  CHECK(w["cpu_s"].get<double>() == Approx(cpu).epsilon(1e-9));
  CHECK(w["slowed_s"]["count"] == 1);
  CHECK(w["slowed_s"]["max"].get<double>() == Approx(1.0 + cpu).epsilon(0.01));
  check_balanced(r);
}

// The child exits at once and is reaped before the parent writes: the
// pages are the parent's alone, so each fault only write-enables. The
// parent's slowed time begins at the fork, so it also holds the wait for
// the child's exit, which frees the child's copy of the 1 GB page by page
// (as_free_page, about 19 ms).
TEST_CASE("rewriting 1 GB after the child exited takes no-copy faults", "[memory]") {
  json r = rewriter("fork1", "0", "wait");
  const json& w = r["paths"]["fork1"]["write_faults"];
  CHECK(w["faults"] == kPagesPerGb);
  CHECK(w["copies"] == 0);
  const double cpu = kPagesPerGb * cost_s("cow_fault_nocopy");
  CHECK(w["cpu_s"].get<double>() == Approx(cpu).epsilon(1e-9));
  const double child_exit = kPagesPerGb * cost_s("as_free_page");
  CHECK(w["slowed_s"]["max"].get<double>() == Approx(1.0 + cpu + child_exit).epsilon(0.01));
  check_balanced(r);
}

// vfork lends the address space: nothing is protected, nothing faults.
TEST_CASE("rewriting 1 GB after a vfork takes no fault", "[memory]") {
  json r = rewriter("vfork", "0", "wait");
  const json& f = r["paths"]["vfork"];
  REQUIRE(f["successes"] == 2);  // at 2 s and at 4 s: no fault slows the think
  CHECK(f["write_faults"]["faults"] == 0);
  CHECK(f["write_faults"]["cpu_s"] == 0.0);
  CHECK(f["write_faults"]["slowed_s"]["count"] == 0);
  check_balanced(r);
}

// A child that exits while the parent is half way through its sweep: the
// first half (written while it lived) copied, the rest only write-enabled.
// The parent writes 2,621 pages per 10 ms tick after the fork at 2 s; the
// child, alive for 0.5 s, sees the parent's copies for 0.5 s less the ticks
// the faults themselves stretch.
TEST_CASE("a child's exit turns the parent's remaining faults into no-copy ones", "[memory]") {
  json r = rewriter("fork1", "0.5", "before_next_fork");
  const json& w = r["paths"]["fork1"]["write_faults"];
  CHECK(w["faults"] == kPagesPerGb);
  const double copies = w["copies"].get<double>();
  CHECK(copies > 0.2 * kPagesPerGb);
  CHECK(copies < 0.5 * kPagesPerGb);
  const double cpu =
      copies * cost_s("cow_fault_copy") + (kPagesPerGb - copies) * cost_s("cow_fault_nocopy");
  CHECK(w["cpu_s"].get<double>() == Approx(cpu).epsilon(1e-9));
  check_balanced(r);
}

// Each failure case of the new keys, by its command: exit 2, the key named.
TEST_CASE("memory keys refuse contradictions with exit 2 naming the key", "[memory][cli]") {
  TempDir d;
  struct Case {
    std::vector<std::string> sets;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"workload.parent.resident_mb=3"},
       "forksim: workload.parent.resident_mb: must be <= reserved_mb (2): a page present is a "
       "page reserved, got 3\n"},
      {{"workload.child.exec_reserved_mb=3", "workload.child.exec_resident_mb=4"},
       "forksim: workload.child.exec_resident_mb: must be <= exec_reserved_mb (3): a page "
       "present is a page reserved, got 4\n"},
      {{"workload.parent.writable_mb=5", "workload.parent.resident_mb=3"},
       "forksim: workload.parent.writable_mb: is shorthand for reserved_mb and resident_mb "
       "together; give it or them, not both (resident_mb is given too)\n"},
      {{"workload.type=open", "workload.parent.writes_mb_per_s=4"},
       "forksim: workload.parent.writes_mb_per_s: applies only to closed workloads\n"},
      {{"workload.type=fork_bomb", "workload.parent.reap=before_next_fork"},
       "forksim: workload.parent.reap: applies only to closed workloads\n"},
      {{"workload.parent.writes_mb_per_s=-1"},
       "forksim: workload.parent.writes_mb_per_s: must be >= 0, got -1\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"validate"};
    for (const auto& s : sets(c.sets)) args.push_back(s);
    INFO(c.message);
    auto res = run_cli(d, args);
    CHECK(res.status == 2);
    CHECK(res.out.empty());
    CHECK(res.err == c.message);
  }
}

// The shorthand sets both, and validate writes the two keys back.
TEST_CASE("writable_mb is shorthand for reserved_mb and resident_mb", "[memory][cli]") {
  TempDir d;
  auto res = run_cli(d, {"validate", "--set", "workload.parent.writable_mb=300", "--set",
                         "workload.child.exec_writable_mb=7", "--set",
                         "workload.parent.reserved_mb=400"});
  CHECK(res.status == 2);  // writable_mb with reserved_mb
  res = run_cli(d, {"validate", "--set", "workload.parent.writable_mb=300", "--set",
                    "workload.child.exec_writable_mb=7"});
  REQUIRE(res.status == 0);
  json s = json::parse(res.out);
  CHECK(s["workload"]["parent"]["reserved_mb"] == 300.0);
  CHECK(s["workload"]["parent"]["resident_mb"] == 300.0);
  CHECK_FALSE(s["workload"]["parent"].contains("writable_mb"));
  CHECK(s["workload"]["child"]["exec_reserved_mb"] == 7.0);
  CHECK(s["workload"]["child"]["exec_resident_mb"] == 7.0);
  res = run_cli(d, {"validate", "--set", "workload.parent.reserved_mb=400"});
  REQUIRE(res.status == 0);
  CHECK(json::parse(res.out)["workload"]["parent"]["resident_mb"] == 400.0);  // defaults to reserved
}

// A write rate beyond any double's pages a second: each fork's protected
// pages are all written in the first chunk after it, without a NaN carried
// into the next (the run completes, every fault a whole fork's 512 pages).
TEST_CASE("a write rate of 1e308 MB/s writes a fork's pages at once", "[memory][hostile]") {
  json r = run_forksim(sets({"workload.parents=1", "workload.parent.writes_mb_per_s=1e308",
                             "workload.parent.reap=before_next_fork", "duration_s=0.5",
                             "warmup_s=0"}));
  const json& w = r["paths"]["fork1"]["write_faults"];
  const auto faults = w["faults"].get<uint64_t>();
  CHECK(faults > 0);
  CHECK(faults % 512 == 0);  // the default 2 MB resident
  CHECK(w["slowed_s"]["count"].get<uint64_t>() == faults / 512);
  check_balanced(r);
}
