// Hostile and mistaken input at the command line, each case by its command:
// the forksim binary as a subprocess (a crash shows as 128 + signal), exit 2,
// a message naming the key or option and the reason, nothing on stdout.
// Then the helps for a user's mistakes: "did you mean", validate without a
// file, --unset, --set of a whole object, the relative warm-up.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using nlohmann::json;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::TempDir;

namespace {

void write_text_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string nested(std::size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

// forksim ARGS must exit 2, print nothing on stdout, and say every one of
// `message` on stderr.
void expect_bad_input(const TempDir& d, const std::vector<std::string>& args,
                      const std::vector<std::string>& message) {
  std::string cmd = "forksim";
  for (const auto& a : args) cmd += " " + (a.size() > 80 ? a.substr(0, 80) + "..." : a);
  INFO(cmd);
  Result r = run_cli(d, args);
  INFO("stderr: " << r.err.substr(0, 2000));
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  for (const auto& m : message) CHECK_THAT(r.err, Contains(m));
}

}  // namespace

TEST_CASE("a number beyond a double names its key", "[cli][hostile]") {
  TempDir d;
  write_text_file(d / "big.json", "{\"duration_s\": 1e400}");
  write_text_file(d / "top.json", "1e400");
  expect_bad_input(d, {"validate", "big.json"},
                   {"duration_s: number out of the range of a double: 1e400 (big.json, byte 20)"});
  expect_bad_input(d, {"run", "big.json"}, {"duration_s", "out of the range of a double"});
  expect_bad_input(d, {"validate", "top.json"},
                   {"top.json: number out of the range of a double: 1e400 (top.json, byte 5)"});
  expect_bad_input(d, {"run", "--set", "duration_s=1e400"},
                   {"duration_s: number out of the range of a double: 1e400"});
}

TEST_CASE("deep nesting is refused, never a crash", "[cli][hostile]") {
  TempDir d;
  const std::string deep = nested(100000);
  struct Where {
    std::string file, text, key;
  };
  const std::vector<Where> wheres = {
      {"scenario.json", deep, "[0][0][0][0][0][0][0][0][...]"},
      {"name.json", "{\"name\": " + deep + "}", "name[0][0][0][0][0][0][0][...]"},
      {"ncpus.json", "{\"machine\": {\"ncpus\": " + deep + "}}", "machine.ncpus[0][0][0][0][0][0][...]"},
      {"cost.json", "{\"costs\": {\"pid_probe\": {\"dist\": \"exponential\", \"mean\": " + deep + "}}}",
       "costs.pid_probe.mean[0][0][0][0][0][...]"},
  };
  for (const Where& w : wheres) {
    write_text_file(d / w.file, w.text);
    const std::string message = w.key + ": nested deeper than 64 levels (" + w.file + ")";
    expect_bad_input(d, {"validate", w.file}, {message});
    expect_bad_input(d, {"run", w.file}, {message});
    expect_bad_input(d, {"explain", "--scenario", w.file}, {message});
  }
  // An argument is at most 128 KiB, so 60,000 levels (the case) as --set.
  expect_bad_input(d, {"validate", "--set", "name=" + nested(60000)},
                   {"name[0][0][0][0][0][0][0][0][...]: nested deeper than 64 levels (--set name)"});
}

TEST_CASE("text that is not UTF-8 is refused and breaks nothing after it", "[cli][hostile]") {
  TempDir d;
  const std::string reason = "is not valid UTF-8";
  expect_bad_input(d, {"validate", "--set", "name=\xff"}, {"name: the value \"\\xff\" " + reason});
  expect_bad_input(d, {"validate", "--set", "name=caf\xe9", "--set", "name=ok"},
                   {"name: the value \"caf\\xe9\" " + reason});
  expect_bad_input(d, {"validate", "--set", "na\xffme=1"}, {"--set: key \"na\\xffme\" " + reason});
  write_text_file(d / "latin1.json", "{\"name\": \"caf\xe9\"}");
  expect_bad_input(d, {"validate", "latin1.json"}, {"latin1.json: not valid JSON", "UTF-8"});
  SECTION("UTF-8 itself is fine") {
    Result r = run_cli(d, {"validate", "--set", "name=caf\xc3\xa9"});
    CHECK(r.status == 0);
    CHECK(json::parse(r.out)["name"] == "caf\xc3\xa9");
  }
}

TEST_CASE("distributions that could draw an infinite time are refused", "[cli][hostile]") {
  TempDir d;
  const std::string bound = "must be at most 1e+15, so that every draw is a finite time";
  expect_bad_input(d, {"run", "--set", "workload.child.cpu_s={\"dist\":\"lognormal\",\"mean\":1,\"cv\":1e200}"},
                   {"workload.child.cpu_s.cv: must be at most 1000000", "got 1e+200"});
  expect_bad_input(d, {"run", "--set", "workload.think_s={\"dist\":\"exponential\",\"mean\":1e308}"},
                   {"workload.think_s.mean: " + bound + "; got 1e+308"});
  expect_bad_input(d, {"run", "--set", "workload.think_s={\"dist\":\"uniform\",\"min\":0,\"max\":1e308}"},
                   {"workload.think_s.max: " + bound});
  expect_bad_input(d, {"run", "--set", "costs.*=1e300"}, {"costs.*: " + bound});
}

TEST_CASE("a budget that is not a number >= 0 is refused", "[cli][hostile]") {
  TempDir d;
  for (const std::string opt : {"--max-wall-s", "--max-memory-mb"})
    for (const std::string bad : {"nan", "NaN", "inf", "-inf", "-1", "1e400", "5s", "", "abc"})
      expect_bad_input(d, {"run", opt, bad},
                       {"forksim run: " + opt + " must be a number >= 0 (0: no limit), got '" + bad + "'"});
}

TEST_CASE("a duplicate key is refused", "[cli][hostile]") {
  TempDir d;
  write_text_file(d / "dup.json", "{\"machine\": {\"ncpus\": 4, \"ncpus\": 5}}");
  expect_bad_input(d, {"validate", "dup.json"}, {"machine.ncpus: duplicate key (dup.json)"});
  expect_bad_input(d, {"run", "--set", "workload={\"type\": \"open\", \"type\": \"closed\"}"},
                   {"workload.type: duplicate key (--set workload)"});
}

TEST_CASE("a scenario that is not a regular file is refused without waiting", "[cli][hostile]") {
  TempDir d;
  // A FIFO with no writer: opening it for reading would wait for ever.
  REQUIRE(mkfifo((d / "fifo").c_str(), 0600) == 0);
  expect_bad_input(d, {"validate", "fifo"}, {"fifo: not a regular file"});
  expect_bad_input(d, {"run", "fifo"}, {"fifo: not a regular file"});
  expect_bad_input(d, {"explain", "--scenario", "fifo"}, {"fifo: not a regular file"});
  expect_bad_input(d, {"validate", "/dev/zero"}, {"/dev/zero: not a regular file"});
  expect_bad_input(d, {"validate", "."}, {".: is a directory"});
}

TEST_CASE("huge input is refused and shown cut short", "[cli][hostile]") {
  TempDir d;
  SECTION("a 50 MB key: past the size cap") {
    write_text_file(d / "key.json", "{\"" + std::string(50u << 20, 'k') + "\": 1}");
    Result r = run_cli(d, {"validate", "key.json"});
    CHECK(r.status == 2);
    CHECK(r.err == "forksim: key.json: larger than the 16 MiB a scenario may have (at least 52428807 bytes)\n");
  }
  SECTION("a 1 MB key: cut short in the message") {
    write_text_file(d / "key.json", "{\"" + std::string(1u << 20, 'k') + "\": 1}");
    Result r = run_cli(d, {"validate", "key.json"});
    CHECK(r.status == 2);
    CHECK(r.err == "forksim: " + std::string(40, 'k') + "... (1048576 bytes): unknown key\n");
  }
  SECTION("a 100 KB --set value of the wrong type") {
    expect_bad_input(d, {"validate", "--set", "machine.ncpus=" + std::string(100000, 'x')},
                     {"machine.ncpus: expected an integer, got string \"" + std::string(40, 'x') +
                      "... (100000 bytes)\""});
  }
}

TEST_CASE("a swap capacity beyond any integer is printed as a number", "[cli][hostile]") {
  TempDir d;
  // It was cast to long: -9223372036854775808 MB (undefined behaviour).
  expect_bad_input(d, {"run", "--set", "machine.swap_mb=1e300", "--set", "workload.parents=1",
                       "--set", "workload.parent.writable_mb=1e301"},
                   {"workload.parent.reserved_mb: the workload's processes' memory does not fit "
                    "in swap and RAM (1e+300 MB reservable)"});
}

TEST_CASE("20,000 set arguments are read, in order", "[cli][hostile]") {
  // Boost's parser took 13.6 s (quadratic); they no longer pass through it.
  // In this process: 20,000 arguments exceed what a shell command line holds.
  std::vector<std::string> args = {"validate"};
  for (int i = 0; i < 20000; ++i) {
    args.push_back("--set");
    args.push_back("machine.ncpus=" + std::to_string(i % 16 + 1));
    if (i % 1000 == 0) args.push_back("--unset=machine.hz");
    else if (i % 1000 == 1) args.push_back("--set=machine.hz=" + std::to_string(i));
  }
  std::ostringstream out, err;
  REQUIRE(forksim::cli_main(args, out, err) == 0);
  json j = json::parse(out.str());
  CHECK(j["machine"]["ncpus"] == 19999 % 16 + 1);
  CHECK(j["machine"]["hz"] == 19001);
  CHECK(err.str().empty());
}

TEST_CASE("mistakes get a suggestion", "[cli][input]") {
  TempDir d;
  expect_bad_input(d, {"validate", "--set", "machine.ncpsu=4"},
                   {"machine.ncpsu: unknown key; did you mean \"ncpus\"?"});
  expect_bad_input(d, {"validate", "--set", "workload.path=frok1"},
                   {"workload.path: must be one of", "did you mean \"fork1\"?"});
  expect_bad_input(d, {"explain", "--set", "costs.as_dupp=3"},
                   {"costs.as_dupp: unknown step", "did you mean \"as_dup\"?"});
  expect_bad_input(d, {"rnu"}, {"unknown command 'rnu'; did you mean \"run\"?"});
  expect_bad_input(d, {"explain", "frok1"}, {"unknown path 'frok1'", "did you mean \"fork1\"?"});
  expect_bad_input(d, {"run", "--sede", "3"}, {"'--sede'", "did you mean \"--seed\"?"});
  expect_bad_input(d, {"run", "--progress", "of"}, {"did you mean \"off\"?"});
  // An abbreviation is no longer guessed to be an option.
  expect_bad_input(d, {"run", "--quie"}, {"'--quie'", "did you mean \"--quiet\"?"});
}

TEST_CASE("validate without a file validates the built-in default", "[cli][input]") {
  TempDir d;
  Result r = run_cli(d, {"validate"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out) == forksim::Scenario{}.to_json());
}

TEST_CASE("unset and whole-object set switch a workload's type", "[cli][input]") {
  TempDir d;
  const std::string bomb = std::string(FORKSIM_SOURCE_DIR) + "/tests/fixtures/fork_bomb.json";
  // One key of the fork bomb's workload is misplaced in a closed one...
  expect_bad_input(d, {"validate", bomb, "--set", "workload.type=closed"},
                   {"applies only to fork_bomb workloads; to change the type, --unset it or "
                    "--set the whole workload object"});
  // ...so replace the whole object, or remove it first.
  Result r = run_cli(d, {"validate", bomb, "--set", "workload={\"type\": \"open\", \"rate_per_s\": 5}"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["workload"]["type"] == "open");
  CHECK(json::parse(r.out)["workload"]["rate_per_s"] == 5);
  r = run_cli(d, {"validate", bomb, "--unset", "workload", "--set", "workload.type=closed",
                  "--unset", "warmup_s", "--unset", "no.such.key"});
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["workload"]["type"] == "closed");
  CHECK(j["warmup_s"] == 2.0);  // a tenth of the file's 20 s
  expect_bad_input(d, {"validate", "--unset", "machine..ncpus"}, {"--unset: empty segment"});
  expect_bad_input(d, {"validate", "--unset"}, {"'--unset'", "missing"});
}

TEST_CASE("a short run's default warm-up fits inside it", "[cli][input]") {
  TempDir d;
  Result r = run_cli(d, {"validate", "--set", "duration_s=0.5"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["warmup_s"] == 0.05);
}
