#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "analysis/report.hpp"
#include "scenarios/workload.hpp"

namespace forksim::test {

Scenario scenario(nlohmann::json raw, const std::vector<std::string>& sets) {
  for (const auto& a : sets) apply_override(raw, a);
  return parse_scenario(raw);
}

nlohmann::json run_here(const Scenario& s) {
  Probes p = run_scenario(s);
  RunInfo info;
  info.scenario = s.to_json();
  info.seed = s.seed;
  info.sim_time_s = s.duration_s;
  return make_report(info, p);
}

static std::string quote(const std::string& a) {
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

nlohmann::json run_forksim(const std::vector<std::string>& args) {
  char dir[] = "/tmp/forksim-test-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string out = std::string(dir) + "/report.json";
  std::string cmd = std::string(FORKSIM_BINARY) + " run --quiet -o " + quote(out);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>" + quote(std::string(dir) + "/stderr");
  int rc = std::system(cmd.c_str());
  std::ifstream err(std::string(dir) + "/stderr");
  std::stringstream es;
  es << err.rdbuf();
  INFO("command: " << cmd << "\nstderr: " << es.str());
  REQUIRE(rc == 0);
  std::ifstream in(out);
  nlohmann::json j = nlohmann::json::parse(in);
  std::remove(out.c_str());
  std::remove((std::string(dir) + "/stderr").c_str());
  rmdir(dir);
  return j;
}

}  // namespace forksim::test
