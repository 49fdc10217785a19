// `forksim run -o` and signals as a user meets them: the real binary, each
// failure case of issue 8's "Output must never destroy a file" by its
// command. Runs that must be signalled or limited are started with
// fork/exec here, not through a shell, so that the signal reaches forksim.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support.hpp"

using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;
using forksim::test::concat;
using forksim::test::is_char_device;
using forksim::test::names_in;
using forksim::test::read_file;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::TempDir;
using forksim::test::write_text;

namespace {

const std::vector<std::string> kShortOutput = {"--set", "duration_s=0.05", "--set", "warmup_s=0.01"};
// Long enough that only a stop ends it within the test's time.
const std::vector<std::string> kLong = {"--quiet", "--set", "duration_s=1e6", "--set", "warmup_s=0"};
// Minutes long, yet the monitor (called every 1/1000 of the duration) sees
// a signal within a fraction of a second.
const std::vector<std::string> kInterruptible = {"--quiet", "--set", "duration_s=2000", "--set",
                                                 "warmup_s=0"};

json parse_output_json(const std::string& text) {
  INFO("text: " << text.substr(0, 2000));
  json j;
  REQUIRE_NOTHROW(j = json::parse(text));
  return j;
}

// forksim ARGS started in `dir`, stdout and stderr to files in `io` (kept out
// of `dir`, whose listing the tests check), SIGINT and SIGTERM at their
// default whatever the test runner left; `prepare` runs in the child first.
pid_t spawn(const fs::path& dir, const fs::path& io, const std::vector<std::string>& args,
            const std::function<void()>& prepare = {}) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid > 0) return pid;
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (chdir(dir.c_str()) != 0) _exit(120);
  int in = open("/dev/null", O_RDONLY);
  int out = open((io / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open((io / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) _exit(121);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  if (prepare) prepare();
  std::vector<char*> argv = {const_cast<char*>(FORKSIM_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(FORKSIM_BINARY, argv.data());
  _exit(127);
}

// The exit status; 128 + the signal if killed by one.
int wait_for(pid_t pid) {
  int w = 0;
  REQUIRE(waitpid(pid, &w, 0) == pid);
  return WIFEXITED(w) ? WEXITSTATUS(w) : WIFSIGNALED(w) ? 128 + WTERMSIG(w) : -1;
}

// Waits until forksim has its own SIGINT handler in place (the run is
// about to start), then a second more so that the engine is running.
void wait_until_running(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool caught = false;
  while (!caught && std::chrono::steady_clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("SigCgt:", 0) == 0)
        caught = (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
    if (!caught) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(caught);
  std::this_thread::sleep_for(std::chrono::seconds(1));
}

void check_interrupted(int sig, int expected_status, const std::string& name) {
  TempDir d, io;
  pid_t pid = spawn(d.path, io.path, concat({"run", "-o", "r.json"}, kInterruptible));
  wait_until_running(pid);
  REQUIRE(kill(pid, sig) == 0);
  const int status = wait_for(pid);
  INFO("stderr: " << read_file(io / "stderr"));
  CHECK(status == expected_status);
  CHECK_THAT(read_file(io / "stderr"), Contains("stopped early: interrupted by " + name));
  json rep = parse_output_json(read_file(d / "r.json"));
  CHECK(rep["complete"] == false);
  CHECK_THAT(rep["incomplete_reason"].get<std::string>(), Contains("interrupted by " + name));
  CHECK(rep["window"]["end_s"].get<double>() < 2000);
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});  // no temporary left
}

}  // namespace

TEST_CASE("run -o /dev/null writes the report and /dev/null stays a device", "[cli][output]") {
  if (geteuid() != 0) {
    WARN("skipped: only root could replace /dev/null, so only root can test it is not");
    return;
  }
  TempDir d;
  Result r = run_cli(d, concat({"run", "--quiet", "-o", "/dev/null"}, kShortOutput));
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(is_char_device("/dev/null"));
}

TEST_CASE("run -o /dev/full exits 2 naming ENOSPC and /dev/full stays a device", "[cli][output]") {
  TempDir d;
  Result r = run_cli(d, concat({"run", "--quiet", "-o", "/dev/full"}, kShortOutput));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("forksim run: -o /dev/full: cannot write: No space left on device"));
  CHECK(is_char_device("/dev/full"));
}

TEST_CASE("run -o - gives the report on stdout and the summary on stderr", "[cli][output]") {
  TempDir d;
  Result r = run_cli(d, concat({"run", "-o", "-"}, kShortOutput));
  CHECK(r.status == 0);
  json rep = parse_output_json(r.out);
  CHECK(rep["complete"] == true);
  CHECK(rep["scenario"]["duration_s"] == 0.05);
  CHECK_THAT(r.err, Contains("throughput"));
  CHECK(names_in(d.path).empty());
}

TEST_CASE("run -o into a missing directory exits 2 before simulating", "[cli][output]") {
  TempDir d;
  // Without the early check this run would stop only at the wall budget,
  // then fail to write: exit 1, not 2.
  Result r = run_cli(d, concat({"run", "-o", "missing-dir/x.json", "--max-wall-s", "30"}, kLong));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim run: -o missing-dir/x.json: directory missing-dir: No such file or directory\n");
  CHECK(names_in(d.path).empty());
}

TEST_CASE("run -o onto a directory exits 2", "[cli][output]") {
  TempDir d;
  fs::create_directory(d / "out");
  Result r = run_cli(d, concat({"run", "-o", "out", "--max-wall-s", "30"}, kLong));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim run: -o out: is a directory\n");
  CHECK(fs::is_empty(d / "out"));
}

TEST_CASE("run -o where no file can be created exits 2", "[cli][output]") {
  TempDir d;
  // /proc refuses a new file to root too.
  Result r = run_cli(d, concat({"run", "-o", "/proc/forksim.json", "--max-wall-s", "30"}, kLong));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("-o /proc/forksim.json: cannot create a file in /proc"));
  if (geteuid() == 0) {
    WARN("part skipped: root writes into a mode-555 directory");
    return;
  }
  fs::create_directory(d / "ro");
  REQUIRE(chmod((d / "ro").c_str(), 0555) == 0);
  r = run_cli(d, concat({"run", "-o", "ro/x.json", "--max-wall-s", "30"}, kLong));
  chmod((d / "ro").c_str(), 0755);
  CHECK(r.status == 2);
  CHECK(r.err == "forksim run: -o ro/x.json: cannot create a file in ro: Permission denied\n");
}

TEST_CASE("run -o replaces a file safely: links, modes and PATH.tmp", "[cli][output]") {
  TempDir d;
  SECTION("onto a symbolic link: the target is replaced, the link kept") {
    fs::create_directory(d / "runs");
    write_text(d / "runs" / "5.json", "old");
    fs::create_symlink("runs/5.json", d / "latest.json");
    Result r = run_cli(d, concat({"run", "--quiet", "-o", "latest.json"}, kShortOutput));
    CHECK(r.status == 0);
    CHECK(fs::is_symlink(d / "latest.json"));
    CHECK(fs::read_symlink(d / "latest.json") == "runs/5.json");
    CHECK(parse_output_json(read_file(d / "runs" / "5.json"))["complete"] == true);
    CHECK(names_in(d / "runs") == std::set<std::string>{"5.json"});
  }
  SECTION("a mode-600 report stays 600") {
    write_text(d / "r.json", "old");
    REQUIRE(chmod((d / "r.json").c_str(), 0600) == 0);
    Result r = run_cli(d, concat({"run", "--quiet", "-o", "r.json"}, kShortOutput));
    CHECK(r.status == 0);
    struct stat st;
    REQUIRE(stat((d / "r.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(parse_output_json(read_file(d / "r.json"))["complete"] == true);
  }
  SECTION("a user's PATH.tmp is untouched") {
    write_text(d / "r.json.tmp", "MINE");
    Result r = run_cli(d, concat({"run", "--quiet", "-o", "r.json"}, kShortOutput));
    CHECK(r.status == 0);
    CHECK(read_file(d / "r.json.tmp") == "MINE");
    CHECK(names_in(d.path) == std::set<std::string>{"r.json", "r.json.tmp"});
  }
  SECTION("a symbolic link at PATH.tmp is not followed") {
    write_text(d / "victim", "VICTIM");
    fs::create_symlink("victim", d / "r.json.tmp");
    Result r = run_cli(d, concat({"run", "--quiet", "-o", "r.json"}, kShortOutput));
    CHECK(r.status == 0);
    CHECK(read_file(d / "victim") == "VICTIM");
    CHECK(fs::read_symlink(d / "r.json.tmp") == "victim");
    CHECK(parse_output_json(read_file(d / "r.json"))["complete"] == true);
    CHECK(names_in(d.path) == std::set<std::string>{"r.json", "r.json.tmp", "victim"});
  }
}

TEST_CASE("a run whose write fails keeps the previous report", "[cli][output]") {
  TempDir d, io;
  Result first = run_cli(d, concat({"run", "--quiet", "-o", "r.json"}, kShortOutput));
  REQUIRE(first.status == 0);
  const std::string kept = read_file(d / "r.json");
  // A file-size limit below the report's size fails the write, root too.
  pid_t pid = spawn(d.path, io.path, concat({"run", "--quiet", "--seed", "2", "-o", "r.json"}, kShortOutput), [] {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1000, 1000};
    setrlimit(RLIMIT_FSIZE, &rl);
  });
  CHECK(wait_for(pid) == 2);
  CHECK_THAT(read_file(io / "stderr"), Contains("-o r.json: cannot write") && Contains("File too large"));
  CHECK(read_file(d / "r.json") == kept);
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});
}

TEST_CASE("two runs at once with the same -o leave one whole report", "[cli][output]") {
  TempDir d, io1, io2;
  const auto args = [](const char* seed) {
    return concat({"run", "--quiet", "--seed", seed, "-o", "r.json"}, kShortOutput);
  };
  pid_t a = spawn(d.path, io1.path, args("1"));
  pid_t b = spawn(d.path, io2.path, args("2"));
  CHECK(wait_for(a) == 0);
  CHECK(wait_for(b) == 0);
  json rep = parse_output_json(read_file(d / "r.json"));
  CHECK(rep["complete"] == true);
  CHECK((rep["seed"] == 1 || rep["seed"] == 2));
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});
}

TEST_CASE("SIGINT stops a run: exit 130, a partial report, no temporary", "[cli][signals]") {
  check_interrupted(SIGINT, 130, "SIGINT");
}

TEST_CASE("SIGTERM stops a run: exit 143, a partial report, no temporary", "[cli][signals]") {
  check_interrupted(SIGTERM, 143, "SIGTERM");
}

// The signal goes to forksim alone, not to the pilot it runs in a child for
// warmup_s "auto": forksim passes it on, and the pilot's partial report is
// the answer.
TEST_CASE("SIGINT during the warm-up pilot: exit 130, the pilot's partial report", "[cli][signals]") {
  TempDir d, io;
  pid_t pid = spawn(d.path, io.path,
                    concat(concat({"run", "-o", "r.json"}, kInterruptible), {"--set", "warmup_s=auto"}));
  wait_until_running(pid);
  REQUIRE(kill(pid, SIGINT) == 0);
  const int status = wait_for(pid);
  INFO("stderr: " << read_file(io / "stderr"));
  CHECK(status == 130);
  CHECK_THAT(read_file(io / "stderr"),
             Contains("stopped early: interrupted by SIGINT") && Contains("(in the warm-up pilot)"));
  json rep = parse_output_json(read_file(d / "r.json"));
  CHECK(rep["complete"] == false);
  CHECK(rep["warmup"]["cut_s"] == nullptr);
  CHECK_THAT(rep["warmup"]["reason"].get<std::string>(), Contains("interrupted by SIGINT"));
  CHECK(rep["window"]["start_s"] == 0.0);
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});
}

TEST_CASE("a second signal kills the run at once and leaves no file", "[cli][signals]") {
  TempDir d, io;
  pid_t pid = spawn(d.path, io.path, concat({"run", "-o", "r.json"}, kLong));
  wait_until_running(pid);
  // Back to back, and two different signals (a second SIGINT could merge
  // with a first still pending): the second comes before any check of the
  // monitor could stop the run cleanly.
  REQUIRE(kill(pid, SIGINT) == 0);
  REQUIRE(kill(pid, SIGTERM) == 0);
  int w = 0;
  REQUIRE(waitpid(pid, &w, 0) == pid);
  CHECK(WIFSIGNALED(w));
  CHECK(WTERMSIG(w) == SIGTERM);
  CHECK(names_in(d.path).empty());
}

// `forksim sensitivity` runs its simulations as child processes: a signal
// stops it with nothing written and no child left running (each had its
// working directory in `d`).
TEST_CASE("SIGTERM stops forksim sensitivity: exit 143, nothing written, no child left", "[cli][signals][sensitivity]") {
  TempDir d, io;
  pid_t pid = spawn(d.path, io.path, {"sensitivity", "capacity-shells", "--metric", "throughput.forks_per_s",
                                      "--replications", "4", "--jobs", "2", "-o", "s.json", "--quiet"});
  wait_until_running(pid);
  REQUIRE(kill(pid, SIGTERM) == 0);
  const int status = wait_for(pid);
  INFO("stderr: " << read_file(io / "stderr"));
  CHECK(status == 143);
  CHECK(read_file(io / "stderr") == "forksim sensitivity: interrupted by SIGTERM; nothing written\n");
  CHECK(names_in(d.path).empty());
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::error_code ec;
    fs::path cwd = fs::read_symlink(e.path() / "cwd", ec);
    CHECK_FALSE((!ec && cwd == d.path));
  }
}
