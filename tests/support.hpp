// Helpers the test files share: running one scenario in this process, and
// running the forksim binary for tests that compare several runs (SimGrid
// allows one engine per process, so each run beyond the first is a child
// process).
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "analysis/probes.hpp"
#include "scenarios/scenario.hpp"

namespace forksim::test {

// Parses `raw` with the dotted overrides applied ("machine.ncpus=4").
Scenario scenario(nlohmann::json raw, const std::vector<std::string>& sets = {});

// What parsing `raw` with `sets` throws (the ScenarioError's message), or
// "(no error)".
std::string scenario_error(nlohmann::json raw, const std::vector<std::string>& sets = {});
// What f throws as a ScenarioError (its message), or "(no error)".
std::string scenario_error_of(const std::function<void()>& f);

// a followed by b (argument lists, --set lists).
std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b);

// Runs the scenario in this process (once per test case) and returns the report.
nlohmann::json run_here(const Scenario& s);

// A directory made by mkdtemp, removed with everything in it at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

std::string read_file(const std::filesystem::path& p);
// Writes `text` to p, failing the test if it cannot.
void write_text(const std::filesystem::path& p, const std::string& text);
// A process's children, from /proc (every thread's): a driver's are its
// run servers (driver/run_server.hpp), and theirs the runs.
std::vector<pid_t> children_of(pid_t pid);
// Compares `actual` with tests/golden/<name> byte for byte. With
// FORKSIM_UPDATE_GOLDEN=1 in the environment the golden is rewritten with
// `actual` instead: do that when the output changes on purpose, then read
// the new file and commit it with the change.
void check_golden(const std::string& name, const std::string& actual);
// The names in a directory (dot files too), to assert nothing was left.
std::set<std::string> names_in(const std::filesystem::path& dir);
// Whether p itself (not a link to it) is a character device.
bool is_char_device(const std::filesystem::path& p);

// Erlang C: the probability that a job of an M/M/c queue with offered load
// a = lambda / mu (< c) waits, from its formula.
double erlang_c(int c, double a);

struct Result {
  int status;  // the exit status; 128 + signal number if killed by a signal
  std::string out, err;
};

// Runs `forksim args...` with `dir` as its working directory (so relative
// paths such as `-o r.json` land there) and stdin from /dev/null.
Result run_cli(const TempDir& dir, const std::vector<std::string>& args);

// Starts `forksim args...` in `dir` (stderr to dir/.stderr, SIGINT at its
// default: Catch's handler is this process's), waits until ready(pid) says
// so (or 60 s), calls act(pid) (a signal to it or to its workers) and
// returns the exit status (128 + the signal when a signal ended it).
int run_cli_until(const TempDir& dir, std::vector<std::string> args, const std::function<bool(int)>& ready,
                  const std::function<void(int)>& act);

// The text's lines, without their newlines.
std::vector<std::string> lines(const std::string& text);

// Runs `forksim run --quiet -o FILE ARGS...` and returns the report; fails
// the test if forksim exits non-zero.
nlohmann::json run_forksim(const std::vector<std::string>& args);

}  // namespace forksim::test
