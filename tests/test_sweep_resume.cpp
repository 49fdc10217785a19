// Resuming a sweep by its command: the driver killed part-way, one worker
// killed (its point recorded failed, then --retry-failed), a log whose last
// line was cut short, logs of another sweep refused by name, and the
// sweep's own wall budget leaving points missing rather than failed. Each
// resumed result is compared with an uninterrupted run's, byte for byte
// once the wall-clock fields are removed (both run with the same command
// line, in two directories, so the manifests match too).
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/support.hpp"

using forksim::test::children_of;
using forksim::test::concat;
using forksim::test::lines;
using forksim::test::names_in;
using forksim::test::read_file;
using forksim::test::run_cli;
using forksim::test::TempDir;
using nlohmann::json;

namespace {

const std::vector<std::string> kShortResume = {"--set", "duration_s=0.3", "--set", "timeseries_s=0.1", "-q"};

std::size_t line_count(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

// The JSON without its wall-clock figures (any key "wall_..."), which are
// all that may differ between two runs of the same command, and with
// `command_lines` false without the manifests' command lines (every run's
// report has one) too.
json resume_without_wall(json j, bool command_lines = true) {
  if (j.is_object()) {
    json o = json::object();
    for (auto& [k, v] : j.items())
      if (k.rfind("wall_", 0) != 0 && (command_lines || k != "command_line")) o[k] = resume_without_wall(v, command_lines);
    return o;
  }
  if (j.is_array())
    for (json& v : j) v = resume_without_wall(v, command_lines);
  return j;
}

// A result file's JSON dumped as it was written, without wall-clock fields.
std::string resume_comparable(const std::filesystem::path& p) {
  return resume_without_wall(json::parse(read_file(p))).dump(2);
}

// The indices of a sweep result's points, in order.
std::vector<std::size_t> indices(const json& result) {
  std::vector<std::size_t> v;
  for (const json& p : result["points"]) v.push_back(p["index"].get<std::size_t>());
  return v;
}

std::vector<std::size_t> iota(std::size_t n) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// A sweep of `args` killed by SIGKILL once its log has `k` lines (the
// header included); fails the test unless it was killed.
void kill_at_lines(const TempDir& d, const std::vector<std::string>& args, std::size_t k) {
  const auto log = d / "s.json.partial.jsonl";
  int status = forksim::test::run_cli_until(d, args, [&](int) { return line_count(log) >= k; },
                         [](int pid) { kill(pid, SIGKILL); });
  REQUIRE(status == 128 + SIGKILL);
  REQUIRE(!std::filesystem::exists(d / "s.json"));
}

const std::vector<std::string> kTen = concat(
    {"sweep", "--vary", "workload.parents=1:10:1", "--replications", "2", "--jobs", "1", "-o", "s.json"},
    kShortResume);

}  // namespace

TEST_CASE("a sweep killed by SIGKILL resumes to the result of an uninterrupted run", "[sweep][resume][cli]") {
  TempDir whole, cut;
  REQUIRE(run_cli(whole, kTen).status == 0);
  kill_at_lines(cut, kTen, 3);  // the header and two points
  const std::vector<std::string> logged = lines(read_file(cut / "s.json.partial.jsonl"));
  REQUIRE(logged.size() >= 3);
  REQUIRE(logged.size() < 11);
  json header = json::parse(logged[0]);
  CHECK(header["partial_log"] == 1);
  CHECK(header["definition"]["vary"] == json::parse(R"([{"key": "workload.parents", "values": [1,2,3,4,5,6,7,8,9,10]}])"));
  CHECK(header["definition"]["replications"] == 2);
  CHECK(header["definition"]["seeds"] == json::parse("[1, 2]"));
  for (std::size_t i = 1; i < logged.size(); ++i) CHECK(json::parse(logged[i])["index"] == i - 1);

  auto r = run_cli(cut, kTen);
  INFO(r.err);
  // -q: no summary, so no resume line either; the resume is seen in the result.
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK(names_in(cut.path) == std::set<std::string>{"s.json"});  // the log removed: complete
  json s = json::parse(read_file(cut / "s.json"));
  CHECK(indices(s) == iota(10));  // none lost, none twice
  CHECK(s["complete"] == true);
  CHECK(s["failed_points"] == json::array());
  // The same command line in both directories: only wall-clock fields differ.
  CHECK(resume_comparable(cut / "s.json") == resume_comparable(whole / "s.json"));
}

namespace {

// Point 1 is ten times longer than the others: with --jobs 1, once point 0
// is in the log the one run going on is point 1's.
const std::vector<std::string> kLongMiddle = {"sweep", "--vary", "duration_s=0.3,3,0.3", "--replications", "1",
                                              "--jobs", "1", "--set", "timeseries_s=0.1", "--progress", "off",
                                              "-o", "s.json"};

// Runs kLongMiddle in `d` and kills (SIGKILL) point 1's run or, with
// `server`, the run server that forked it; returns the sweep's status.
int kill_point_1(const TempDir& d, bool server) {
  const auto log = d / "s.json.partial.jsonl";
  pid_t victim = 0;
  return forksim::test::run_cli_until(
      d, kLongMiddle,
      [&](int pid) {
        if (line_count(log) < 2) return false;
        for (pid_t s : children_of(pid)) {
          std::vector<pid_t> runs = children_of(s);
          if (runs.empty()) continue;
          victim = server ? s : runs[0];
          return true;
        }
        return false;
      },
      [&](int) { REQUIRE(kill(victim, SIGKILL) == 0); });
}

}  // namespace

TEST_CASE("a server's run killed by SIGKILL fails its point only, and a killed server too", "[sweep][resume][cli]") {
  TempDir d;
  CHECK(kill_point_1(d, /*server=*/true) == 3);
  std::string err = read_file(d / ".stderr");
  INFO(err);
  // The server's run dies with it; a new server runs point 2.
  CHECK(err.find("forksim sweep: 1 of 3 points failed\n  point 1: the run at point 1 (duration_s=3), "
                 "seed 1 failed: the run server (pid ") == 0);
  CHECK(err.find(") ended without the run's outcome, killed by signal 9\nthe result is marked incomplete; ") !=
        std::string::npos);
  json s = json::parse(read_file(d / "s.json"));
  CHECK(s["failed_points"] == json::parse("[1]"));
  CHECK(s["points"][2].contains("metrics"));
}

TEST_CASE("a worker killed by SIGKILL fails its point only, and --retry-failed reruns it", "[sweep][resume][cli]") {
  const std::vector<std::string>& args = kLongMiddle;
  TempDir whole, cut;
  REQUIRE(run_cli(whole, concat(args, {"-q"})).status == 0);
  const auto log = cut / "s.json.partial.jsonl";
  int status = kill_point_1(cut, /*server=*/false);
  // The driver cannot tell a worker killed from outside from one that
  // crashed: the point is recorded failed (rerunning it unasked could loop
  // on a point that always crashes), the others run, and the sweep says so.
  CHECK(status == 3);
  std::string err = read_file(cut / ".stderr");
  CHECK(err.find("forksim sweep: 1 of 3 points failed\n  point 1: the run at point 1 (duration_s=3), "
                 "seed 1 failed: killed by signal 9 (Killed)\nthe result is marked incomplete; ") == 0);
  CHECK(err.find("s.json.partial.jsonl is kept: the same command runs the missing points, with "
                 "--retry-failed the failed ones too\n") != std::string::npos);
  json s = json::parse(read_file(cut / "s.json"));
  CHECK(s["complete"] == false);
  CHECK(s["failed_points"] == json::parse("[1]"));
  CHECK(indices(s) == iota(3));
  CHECK(s["points"][1] == json::parse(R"({"index": 1, "overrides": {"duration_s": 3},
      "failed": {"status": 1, "message": )" + json(s["points"][1]["failed"]["message"]).dump() + "}}"));
  CHECK(s["points"][1]["failed"]["message"].get<std::string>().find("killed by signal 9") != std::string::npos);

  // The same command again: nothing missing, the failure kept, nothing run.
  auto again = run_cli(cut, args);
  CHECK(again.status == 3);
  CHECK(again.out.find("sweep: 2 of 3 points (1 failed: points 1)") == 0);
  CHECK(again.out.find("\n  point 1: FAILED (the run at point 1 (duration_s=3), seed 1 failed: killed by "
                       "signal 9 (Killed))\n") != std::string::npos);
  CHECK(again.err.find("forksim sweep: resuming from s.json.partial.jsonl: 3 of 3 points there (1 failed); "
                       "running 0\n") == 0);
  CHECK(lines(read_file(log)).size() == 4);  // the header and three points: nothing appended

  auto retried = run_cli(cut, concat(args, {"-q", "--retry-failed"}));
  INFO(retried.err);
  CHECK(retried.status == 0);
  CHECK(names_in(cut.path) == std::set<std::string>{"s.json"});
  json t = json::parse(read_file(cut / "s.json"));
  CHECK(indices(t) == iota(3));
  CHECK(t["complete"] == true);
  CHECK(t["failed_points"] == json::array());
  // Not the same command line (--retry-failed): all else equal.
  CHECK(resume_without_wall(t, false).dump(2) == resume_without_wall(json::parse(read_file(whole / "s.json")), false).dump(2));

  auto none = run_cli(cut, concat(args, {"-q", "--retry-failed"}));
  CHECK(none.status == 2);
  CHECK(none.err == "forksim sweep: --retry-failed resumes from s.json.partial.jsonl, which does not exist (a "
                    "sweep keeps it until every point has finished)\n");
}

TEST_CASE("a log's last line cut short is dropped and its point rerun", "[sweep][resume][cli]") {
  const std::vector<std::string> args = concat(
      {"sweep", "--vary", "workload.parents=1:5:1", "--replications", "1", "--jobs", "1", "-o", "s.json"},
      {"--set", "duration_s=0.3", "--set", "timeseries_s=0.1"});
  TempDir whole, cut;
  REQUIRE(run_cli(whole, args).status == 0);  // the same command line as the resume's
  kill_at_lines(cut, args, 3);
  const auto log = cut / "s.json.partial.jsonl";
  std::string text = read_file(log);
  std::vector<std::string> before = lines(text);
  // Cut the last point's line in two, as a crash during its write would.
  const std::size_t last = text.rfind('\n', text.size() - 2) + 1;
  text.resize(last + (text.size() - last) / 2);
  forksim::test::write_text(log, text);
  auto r = run_cli(cut, args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::size_t kept = before.size() - 2;  // points, less the cut one
  CHECK(r.err == "forksim sweep: resuming from s.json.partial.jsonl: " + std::to_string(kept) +
                     " of 5 points there (its last line, cut short, dropped); running " +
                     std::to_string(5 - kept) + "\n");
  json s = json::parse(read_file(cut / "s.json"));
  CHECK(indices(s) == iota(5));
  CHECK(resume_comparable(cut / "s.json") == resume_comparable(whole / "s.json"));

  // A bad line before the last is no crash's doing: refused, named.
  TempDir bad;
  kill_at_lines(bad, args, 3);
  const auto bad_log = bad / "s.json.partial.jsonl";
  std::vector<std::string> l = lines(read_file(bad_log));
  std::string edited = l[0] + "\n{\"index\": 7}\n";
  for (std::size_t i = 1; i < l.size(); ++i) edited += l[i] + "\n";
  forksim::test::write_text(bad_log, edited);
  auto refused = run_cli(bad, args);
  CHECK(refused.status == 2);
  CHECK(refused.err == "forksim: -o: s.json.partial.jsonl: line 2: index 7 is past the sweep's 5 points; "
                       "move it away or choose another -o\n");
  CHECK(read_file(bad_log) == edited);
}

TEST_CASE("a log of another sweep is refused, naming what differs, and left alone", "[sweep][resume][cli]") {
  const std::vector<std::string> args = concat(
      {"sweep", "--vary", "workload.parents=1:6:1", "--replications", "2", "--jobs", "1", "-o", "s.json"},
      kShortResume);
  TempDir d;
  kill_at_lines(d, args, 1);  // the header at least
  const auto log = d / "s.json.partial.jsonl";
  const std::string text = read_file(log);
  // `names`: the start of the list of differences (hashes vary by build).
  auto refused = [&](const std::vector<std::string>& a, const std::string& names) {
    auto r = run_cli(d, a);
    INFO(r.err);
    CHECK(r.status == 2);
    const std::string head = "forksim: -o: s.json.partial.jsonl holds the points of another sweep: its "
                             "definition differs in " + names;
    const std::string tail = "; rerun with the same command or choose another -o\n";
    CHECK(r.err.substr(0, head.size()) == head);
    CHECK(r.err.size() >= tail.size());
    CHECK(r.err.substr(r.err.size() - std::min(r.err.size(), tail.size())) == tail);
    CHECK(read_file(log) == text);
    CHECK(names_in(d.path) == std::set<std::string>{"s.json.partial.jsonl"});
  };
  refused(concat({"sweep", "--vary", "workload.parents=1:5:1", "--replications", "2", "--jobs", "1", "-o",
                  "s.json"}, kShortResume),
          "vary ([{\"key\":\"workload.parents\",\"values\":[1,2,3,4,5]}] in this command, "
          "[{\"key\":\"workload.parents\",\"values\":[1,2,3,4,5,6]}] in the log)");
  refused(concat({"sweep", "--vary", "workload.parents=1:6:1", "--replications", "3", "--jobs", "1", "-o",
                  "s.json"}, kShortResume),
          "replications (3 in this command, 2 in the log), seeds ([1,2,3] in this command, [1,2] in the log)");
  refused(concat(args, {"--set", "seed=9"}),
          "seeds ([9,10] in this command, [1,2] in the log), scenario_hash (\"");
  refused(concat(args, {"--set", "machine.ncpus=2"}), "scenario_hash (\"");

  forksim::test::write_text(log, "{}\n");
  auto alien = run_cli(d, args);
  CHECK(alien.status == 2);
  CHECK(alien.err == "forksim: -o: s.json.partial.jsonl: line 1 is not a forksim partial log header; move it "
                     "away or choose another -o\n");
  CHECK(read_file(log) == "{}\n");
}

TEST_CASE("a sweep out of --max-wall-s leaves its other points missing, not failed, to resume",
          "[sweep][resume][cli]") {
  // Points of about 70 ms each: the sweep's 0.1 s of wall time is spent
  // part-way, and a run started after that stops at once.
  const std::vector<std::string> args = {"sweep", "--vary", "workload.parents=1:8:1", "--replications", "1",
                                         "--jobs", "1", "--set", "duration_s=40", "--set", "timeseries_s=1",
                                         "-q", "-o", "s.json"};
  TempDir d;
  auto r = run_cli(d, concat(args, {"--max-wall-s", "0.1"}));
  INFO(r.err);
  CHECK(r.status == 3);
  CHECK(r.err.find("forksim sweep: stopped early: the run at point ") == 0);
  CHECK(r.err.find(" was stopped by a budget: wall time ") != std::string::npos);
  CHECK(names_in(d.path) == std::set<std::string>{"s.json", "s.json.partial.jsonl"});
  json s = json::parse(read_file(d / "s.json"));
  CHECK(s["complete"] == false);
  CHECK(s["failed_points"] == json::array());
  CHECK(s["points"].size() < 8);
  CHECK(indices(s) == iota(s["points"].size()));  // one job: the first points
  // Resumed without the budget (not part of the definition): the rest run.
  auto resumed = run_cli(d, args);
  INFO(resumed.err);
  CHECK(resumed.status == 0);
  CHECK(names_in(d.path) == std::set<std::string>{"s.json"});
  CHECK(indices(json::parse(read_file(d / "s.json"))) == iota(8));
}
