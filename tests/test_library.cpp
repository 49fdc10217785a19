// The scenario library as users reach it: `forksim list`, and a library
// name wherever a scenario file is taken (run, validate, explain
// --scenario), with a user's own file first and a clear error for a name
// that is neither.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "scenarios/library.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::TempDir;

// The binary carries the repo's files: one entry per scenarios/library/*.json,
// by its file name, with the same text, and each a valid scenario whose
// `name` is its file's and whose description is not empty.
TEST_CASE("the built-in library is the repo's scenarios/library", "[library]") {
  std::set<std::string> files;
  for (const auto& f : fs::directory_iterator(fs::path(FORKSIM_SOURCE_DIR) / "scenarios" / "library"))
    if (f.path().extension() == ".json") files.insert(f.path().stem().string());
  std::set<std::string> built;
  for (const forksim::LibraryEntry& e : forksim::library_entries()) {
    INFO(e.name);
    built.insert(e.name);
    fs::path file = fs::path(FORKSIM_SOURCE_DIR) / "scenarios" / "library" / (std::string(e.name) + ".json");
    CHECK(forksim::test::read_file(file) == e.text);
    forksim::Scenario s = forksim::parse_scenario(forksim::parse_scenario_text(e.text, e.name));
    CHECK(s.name == e.name);
    CHECK(!s.description.empty());
  }
  CHECK(built == files);
}

TEST_CASE("forksim list prints one line a library scenario", "[library][cli]") {
  TempDir d;
  Result r = run_cli(d, {"list"});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  std::size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  CHECK(lines == forksim::library_entries().size());
  for (const forksim::LibraryEntry& e : forksim::library_entries())
    CHECK_THAT(r.out, Contains(std::string(e.name) + "  "));
  Result j = run_cli(d, {"list", "--json"});
  REQUIRE(j.status == 0);
  json a = json::parse(j.out);
  REQUIRE(a.size() == forksim::library_entries().size());
  CHECK(a[0]["name"] == forksim::library_entries()[0].name);
  CHECK(run_cli(d, {"list", "--set", "seed=2"}).status == 2);
}

// validate NAME gives the library file's resolved scenario; a file of the
// same name in the working directory is the user's and wins.
TEST_CASE("a library name stands for its scenario, a file of that name wins", "[library][cli]") {
  TempDir d;
  Result lib = run_cli(d, {"validate", "fork-bomb"});
  REQUIRE(lib.status == 0);
  CHECK(json::parse(lib.out)["name"] == "fork-bomb");
  forksim::test::write_text(d / "fork-bomb", R"({"name": "mine"})");
  Result mine = run_cli(d, {"validate", "fork-bomb"});
  REQUIRE(mine.status == 0);
  CHECK(json::parse(mine.out)["name"] == "mine");

  Result run = run_cli(d, {"run", "capacity-shells", "--quiet", "-o", "r.json", "--set", "duration_s=0.2",
                           "--set", "warmup_s=0.05"});
  REQUIRE(run.status == 0);
  CHECK(json::parse(forksim::test::read_file(d / "r.json"))["scenario"]["name"] == "capacity-shells");
  CHECK(run_cli(d, {"explain", "fork1", "--scenario", "build-farm"}).status == 0);
}

TEST_CASE("a scenario that is neither a file nor a library name is bad input naming both",
          "[library][cli]") {
  TempDir d;
  Result r = run_cli(d, {"run", "fork-bom"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("fork-bom: no such file, and not a library scenario ("));
  for (const forksim::LibraryEntry& e : forksim::library_entries()) CHECK_THAT(r.err, Contains(e.name));
  CHECK_THAT(r.err, Contains("did you mean \"fork-bomb\"?"));
  CHECK(forksim::test::names_in(d.path).empty());
}
