// The default costs against the figures measured on this project's
// hardware: docs/measurements.md's table "The figures the defaults are held
// to" gives the measured column, read here by each figure's name; forksim's
// defaults are run the way that page says, printed beside the figures and
// held within 25% of them.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "models/steps.hpp"
#include "tests/support.hpp"

#ifndef FORKSIM_SOURCE_DIR
#error "FORKSIM_SOURCE_DIR (the repository root) must be defined"
#endif

using nlohmann::json;
using forksim::test::run_forksim;

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The table under `heading` in a Markdown text: first column -> second
// column as a number ("6,300" -> 6300). Stops at the first line after the
// table that is not a row.
std::map<std::string, double> table_under(const std::string& text, const std::string& heading) {
  std::map<std::string, double> rows;
  std::istringstream in(text);
  std::string line;
  bool found = false, in_table = false;
  int seen = 0;
  while (std::getline(in, line)) {
    if (!found) {
      found = line == heading;
      continue;
    }
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    if (++seen <= 2) continue;  // the header and its separator
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream row(line.substr(1));
    while (std::getline(row, cell, '|')) cells.push_back(trim(cell));
    if (cells.size() < 2) continue;
    std::string num;
    for (char c : cells[1])
      if (c != ',') num += c;
    rows[cells[0]] = std::stod(num);
  }
  return rows;
}

std::map<std::string, double> measured() {
  std::ifstream f(std::string(FORKSIM_SOURCE_DIR) + "/docs/measurements.md");
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  auto rows = table_under(ss.str(), "## The figures the defaults are held to");
  REQUIRE(!rows.empty());
  return rows;
}

double figure(const std::map<std::string, double>& rows, const std::string& name) {
  auto it = rows.find(name);
  INFO("docs/measurements.md has no row \"" << name << "\"");
  REQUIRE(it != rows.end());
  return it->second;
}

// One parent on 2 CPUs forking children that exit (or exec and exit) at once.
json one_forker(const std::vector<std::string>& more) {
  std::vector<std::string> args = {"--set", "machine.ncpus=2", "--set", "workload.parents=1",
                                   "--set", "workload.think_s=0",
                                   "--set", "workload.child.lifetime_s=0",
                                   "--set", "duration_s=1", "--set", "warmup_s=0.2"};
  args.insert(args.end(), more.begin(), more.end());
  return run_forksim(args);
}

json fork_of(double mb) {
  return one_forker({"--set", "workload.child.exec=false", "--set",
                     "workload.parent.writable_mb=" + std::to_string(mb)});
}

double call_us(const json& r, const std::string& path) {
  return r["paths"][path]["latency_s"]["mean"].get<double>() * 1e6;
}

// Prints one line of the comparison and holds the default within 25%.
void hold(const std::string& name, double measured, double model, const char* unit) {
  double off = model / measured - 1;
  std::printf("%-50s measured %10.2f  defaults %10.2f %-12s %+6.1f%%\n", name.c_str(), measured,
              model, unit, off * 100);
  INFO(name << ": measured " << measured << ", defaults " << model << " " << unit);
  CHECK(std::abs(off) <= 0.25);
}

}  // namespace

TEST_CASE("the default costs meet the measured fork, vfork and posix_spawn figures within 25%",
          "[calibration]") {
  auto m = measured();
  json small = fork_of(0), mid = fork_of(64), large = fork_of(1024);
  json vfork = one_forker({"--set", "workload.path=vfork", "--set", "workload.child.exec=false"});
  json spawn = one_forker({"--set", "workload.path=vfork", "--set", "workload.child.exec=true"});
  double rate = small["throughput"]["forks_per_s"].get<double>();
  hold("small fork call", figure(m, "small fork call"), call_us(small, "fork1"), "us");
  hold("small fork + wait", figure(m, "small fork + wait"), 1e6 / rate, "us");
  hold("small fork + exit + wait cycles, one forker",
       figure(m, "small fork + exit + wait cycles, one forker"), rate, "per s");
  hold("fork call per resident MB", figure(m, "fork call per resident MB"),
       (call_us(large, "fork1") - call_us(mid, "fork1")) / (1024 - 64), "us per MB");
  hold("small vfork call", figure(m, "small vfork call"), call_us(vfork, "vfork"), "us");
  hold("small posix_spawn call", figure(m, "small posix_spawn call"), call_us(spawn, "vfork"),
       "us");
}

// The two write-fault costs (models/cow.cpp) against their measured rows.
TEST_CASE("the write-fault costs are the measured figures within 25%", "[calibration]") {
  auto m = measured();
  struct { const char* step; const char* row; } faults[] = {
      {"cow_fault_copy", "copy-on-write fault, the child still mapping the page"},
      {"cow_fault_nocopy", "write fault after the child has gone, no copy"}};
  for (const auto& f : faults) {
    double want = figure(m, f.row);
    CHECK(want > 0);
    const forksim::StepInfo* s = forksim::find_step(f.step);
    REQUIRE(s != nullptr);
    hold(f.row, want, s->cost_ns * 1e-3, "us per page");
  }
}

// Every default says where its figure comes from: a measurement, a share or
// remainder of one, or a guess, each with its reason after the word.
TEST_CASE("every default cost's basis names its kind and its reason", "[calibration]") {
  int by_kind[5] = {};
  const char* kinds[5] = {"measured", "share", "remainder", "guess", "none"};
  for (const auto& st : forksim::step_catalogue()) {
    std::string b = st.basis;
    int kind = -1;
    for (int k = 0; k < 5; ++k)
      if (b.rfind(kinds[k], 0) == 0) kind = k;
    INFO(st.name << ": \"" << b << "\"");
    REQUIRE(kind >= 0);
    size_t word = std::string(kinds[kind]).size();
    CHECK((b[word] == ':' || b[word] == ','));
    CHECK(b.size() > word + 20);  // a reason, not the word alone
    CHECK(b.find("estimate") == std::string::npos);
    ++by_kind[kind];
  }
  CHECK(by_kind[0] >= 3);  // as_dup_page, as_free_page, forklwperr_page
  CHECK(by_kind[4] == 1);  // backoff_delay
}
