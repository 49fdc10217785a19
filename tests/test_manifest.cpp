// The manifest every result carries (cli/manifest.hpp) and the scenario
// hash in it (analysis/scenario_hash.hpp).
#include <catch2/catch.hpp>

#include <boost/version.hpp>
#include <filesystem>
#include <regex>

#include "analysis/report.hpp"
#include "analysis/scenario_hash.hpp"
#include "tests/support.hpp"

using namespace forksim;
using namespace forksim::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kShortManifest = {"--set", "duration_s=0.2", "--set", "warmup_s=0.05"};

json run_report(const TempDir& d, const std::vector<std::string>& extra) {
  Result r = run_cli(d, concat(concat({"run", "--quiet", "-o", "r.json"}, kShortManifest), extra));
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(read_file(d / "r.json"));
}

}  // namespace

// The published FNV-1a 64 test vectors (Fowler, Noll and Vo's reference
// test suite).
TEST_CASE("FNV-1a 64 gives the reference hashes", "[manifest]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("a scenario's hash is 16 hex digits of its dump, whatever the order of its keys",
          "[manifest]") {
  const json a = json::parse(R"({"seed": 1, "machine": {"ncpus": 8, "hz": 100}})");
  const json b = json::parse(R"({"machine": {"hz": 100, "ncpus": 8}, "seed": 1})");
  CHECK(scenario_hash(a) == scenario_hash(b));
  CHECK(std::regex_match(scenario_hash(a), std::regex("[0-9a-f]{16}")));
  // {"a":1} is the text hashed.
  CHECK(scenario_hash(json{{"a", 1}}) == "9c3e82dd6fcae8b1");  // by hand (python)
  CHECK(scenario_hash(json{{"a", 2}}) != scenario_hash(json{{"a", 1}}));
}

TEST_CASE("make_report carries the manifest it is given, and none without one", "[manifest]") {
  RunInfo info;
  info.manifest = {{"scenario_hash", "0123456789abcdef"}};
  CHECK(make_report(info, Probes{})["manifest"] == info.manifest);
  CHECK_FALSE(make_report(RunInfo{}, Probes{}).contains("manifest"));
}

TEST_CASE("forksim run's report has a manifest: versions, commit, scenario hash, seeds, command line",
          "[manifest][cli]") {
  TempDir d;
  const json r = run_report(d, {"--seed", "7"});
  REQUIRE(r.contains("manifest"));
  const json& m = r["manifest"];
  CHECK(m.size() == 7);
  CHECK(m["forksim_version"] == kForksimVersion);
  CHECK(m["simgrid_version"] == "3.32.0");  // Debian 12's libsimgrid
  CHECK(m["boost_version"] == std::to_string(BOOST_VERSION / 100000) + "." +
                                  std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                                  std::to_string(BOOST_VERSION % 100));
  // The build was configured from this source: a git checkout has a commit.
  if (fs::exists(fs::path(FORKSIM_SOURCE_DIR) / ".git")) {
    REQUIRE(m["git_commit"].is_string());
    CHECK(std::regex_match(m["git_commit"].get<std::string>(), std::regex("[0-9a-f]{40}")));
  } else {
    CHECK(m["git_commit"].is_null());
  }
  CHECK(m["scenario_hash"] == scenario_hash(r["scenario"]));
  CHECK(m["seeds"] == json::array({7}));
  CHECK(m["command_line"] == json(concat(concat({"forksim", "run", "--quiet", "-o", "r.json"}, kShortManifest),
                                         {"--seed", "7"})));
}

TEST_CASE("the scenario hash is the same for the same scenario and changes with a --set",
          "[manifest][cli]") {
  TempDir d;
  const std::string h1 = run_report(d, {})["manifest"]["scenario_hash"];
  const std::string h2 = run_report(d, {"--seed", "1"})["manifest"]["scenario_hash"];
  const std::string h3 = run_report(d, {"--set", "machine.ncpus=4"})["manifest"]["scenario_hash"];
  CHECK(h1 == h2);
  CHECK(h1 != h3);
}
