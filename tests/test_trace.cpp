// run --trace: the timeline file (cli/trace_file.hpp) and its recorder
// (sim/trace.hpp). The format's own rules are checked here on a few runs
// and, on more scenarios, by tests/trace_check.py (CTest "trace: ...").
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sim/dispatcher.hpp"
#include "sim/kmutex.hpp"
#include "sim/trace.hpp"
#include "tests/support.hpp"

using nlohmann::json;
using forksim::test::Result;
using forksim::test::run_cli;
using forksim::test::TempDir;

namespace {

// A short default run: 100 ms of warm-up, 100 ms measured.
const std::vector<std::string> kShortTrace = {"run", "--quiet", "--set", "duration_s=0.2",
                                         "--set", "warmup_s=0.1"};

std::vector<std::string> trace_with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

json traced(const TempDir& dir, const std::vector<std::string>& extra, Result* r = nullptr) {
  Result res = run_cli(dir, trace_with(trace_with(kShortTrace, {"--trace", "t.json"}), extra));
  INFO(res.err);
  REQUIRE(res.status == 0);
  if (r) *r = res;
  return json::parse(forksim::test::read_file(dir / "t.json"));
}

using Track = std::pair<long, long>;
Track track_of(const json& e) { return {e["pid"].get<long>(), e["tid"].get<long>()}; }

// The format's rules (trace_check.py has the same): every event has ph, ts,
// pid, tid; per track ts never decreases and B/E pairs balance; flows pair.
void check_format(const json& doc) {
  REQUIRE(doc["traceEvents"].is_array());
  CHECK(doc["displayTimeUnit"] == "ns");
  std::map<Track, std::vector<std::string>> open;
  std::map<Track, double> last;
  std::map<long, int> s_of, f_of;
  size_t timeline = 0;
  for (const json& e : doc["traceEvents"]) {
    for (const char* k : {"ph", "ts", "pid", "tid"}) REQUIRE(e.contains(k));
    const std::string ph = e["ph"];
    if (ph == "M") {
      CHECK(e["args"].contains(e["name"] == "process_sort_index" ? "sort_index" : "name"));
      continue;
    }
    ++timeline;
    Track t = track_of(e);
    double ts = e["ts"];
    if (last.count(t)) CHECK(ts >= last[t]);
    last[t] = ts;
    if (ph == "B") open[t].push_back(e["name"]);
    if (ph == "E") {
      REQUIRE(!open[t].empty());
      open[t].pop_back();
    }
    if (ph == "s" || ph == "f") {
      CHECK(!open[t].empty());  // bound to an enclosing slice
      ++(ph == "s" ? s_of : f_of)[e["id"].get<long>()];
    }
  }
  for (const auto& [t, names] : open) CHECK(names.empty());
  CHECK(s_of.size() == f_of.size());
  for (const auto& [id, n] : s_of) {
    CHECK(n == 1);
    CHECK(f_of[id] == 1);
  }
  CHECK(doc["otherData"]["events"] == timeline);
}

// Fork calls that returned inside the window, by path and result.
std::map<std::string, int> returned_forks(const json& doc, const std::string& result = "") {
  std::map<Track, std::vector<std::string>> open;
  std::map<std::string, int> n;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "B") open[track_of(e)].push_back(e["name"]);
    if (e["ph"] != "E") continue;
    std::string name = open[track_of(e)].back();
    open[track_of(e)].pop_back();
    if (e.contains("args") && e["args"].contains("result") &&
        (result.empty() || e["args"]["result"] == result))
      ++n[name];
  }
  return n;
}

}  // namespace

TEST_CASE("run --trace over the whole measurement window: one returned fork slice per call the report counts", "[trace]") {
  TempDir dir;
  json doc = traced(dir, {"--trace-window", "0.1:0.2", "-o", "r.json"});
  check_format(doc);
  json report = json::parse(forksim::test::read_file(dir / "r.json"));
  // A call counts where it returns, as the report counts it.
  const json& fork1 = report["paths"]["fork1"];
  REQUIRE(fork1["attempts"].get<int>() > 100);
  CHECK(returned_forks(doc)["fork1"] == fork1["attempts"].get<int>());
  CHECK(returned_forks(doc, "OK")["fork1"] == fork1["successes"].get<int>());
  CHECK(doc["otherData"]["truncated"] == false);
  CHECK(doc["otherData"]["window_us"] == json::array({100000.0, 200000.0}));
}

TEST_CASE("run --trace: a fork slice holds getproc's locks, and its flow goes to the child's first burst", "[trace]") {
  TempDir dir;
  json doc = traced(dir, {});
  const json& ev = doc["traceEvents"];
  // Per thread track, the open slices at each event; the CPU tracks' bursts by name.
  std::map<Track, std::vector<std::string>> open;
  std::map<long, std::pair<Track, std::vector<std::string>>> flow_from;  // id -> where the s was
  std::map<std::string, double> first_burst;  // "pid C lwp 1" -> its first burst
  std::map<long, double> flow_to;             // id -> the f's ts on a CPU track
  std::map<long, std::string> burst_at_f;
  bool pidlock_in_fork = false;
  std::map<Track, std::string> current_burst;
  for (const json& e : ev) {
    if (e["ph"] == "M") continue;
    Track t = track_of(e);
    if (e["ph"] == "B") {
      const std::string name = e["name"];
      if (name == "pidlock @ getproc_limit_check" && !open[t].empty() && open[t][0] == "fork1")
        pidlock_in_fork = true;
      if (t.first == 0) {
        current_burst[t] = name;
        if (!first_burst.count(name)) first_burst[name] = e["ts"];
      }
      open[t].push_back(name);
    } else if (e["ph"] == "E") {
      open[t].pop_back();
    } else if (e["ph"] == "s") {
      flow_from[e["id"]] = {t, open[t]};
    } else if (e["ph"] == "f") {
      flow_to[e["id"]] = e["ts"];
      burst_at_f[e["id"]] = current_burst[t];
      CHECK(t.first == 0);  // a CPU track
    }
  }
  CHECK(pidlock_in_fork);
  REQUIRE(flow_to.size() > 10);
  for (const auto& [id, from] : flow_from) {
    REQUIRE(!from.second.empty());
    CHECK(from.second[0] == "fork1");  // inside the parent's fork call
    const std::string& child = burst_at_f[id];
    CHECK(child.rfind("pid ", 0) == 0);
    // The burst the arrow points at is that thread's first in the file.
    CHECK(first_burst[child] == flow_to[id]);
  }
}

TEST_CASE("run --trace: the default window is the 10 ms after the warm-up, cut at the run's end", "[trace]") {
  TempDir dir;
  json doc = traced(dir, {});
  CHECK(doc["otherData"]["window_us"] == json::array({100000.0, 110000.0}));
  for (const json& e : doc["traceEvents"])
    if (e["ph"] != "M") {
      CHECK(e["ts"].get<double>() >= 100000.0);
      CHECK(e["ts"].get<double>() <= 110000.0);
    }
  json shorter = traced(dir, {"--set", "duration_s=0.105"});
  CHECK(shorter["otherData"]["window_us"] == json::array({100000.0, 105000.0}));
  check_format(shorter);
}

TEST_CASE("run --trace-max-events: a small cap cuts the trace, which says so, and stays well formed", "[trace]") {
  TempDir dir;
  Result r;
  json doc = traced(dir, {"--trace-max-events", "60"}, &r);
  check_format(doc);
  const json& o = doc["otherData"];
  CHECK(o["truncated"] == true);
  CHECK(o["max_events"] == 60);
  CHECK(o["events"].get<int>() <= 60);
  CHECK(o["events"].get<int>() >= 50);  // the cut keeps room for the ends, no more
  CHECK(o["events_dropped"].get<int>() > 1000);
  double cut = o["cut_at_us"];
  CHECK(cut >= 100000.0);
  CHECK(cut < 110000.0);
  for (const json& e : doc["traceEvents"])
    if (e["ph"] != "M") CHECK(e["ts"].get<double>() <= cut);
  CHECK(r.err.rfind("forksim: the trace reached --trace-max-events (60) at t = 0.1", 0) == 0);
  CHECK(r.err.find("later events of its window were dropped") != std::string::npos);
  // Uncut, it says so too.
  json whole = traced(dir, {});
  CHECK(whole["otherData"]["truncated"] == false);
  CHECK(!whole["otherData"].contains("events_dropped"));
}

TEST_CASE("run --trace: the same scenario and seed write the same bytes", "[trace]") {
  TempDir dir;
  REQUIRE(run_cli(dir, trace_with(kShortTrace, {"--trace", "a.json"})).status == 0);
  REQUIRE(run_cli(dir, trace_with(kShortTrace, {"--trace", "b.json"})).status == 0);
  REQUIRE(run_cli(dir, trace_with(kShortTrace, {"--trace", "c.json", "--seed", "2"})).status == 0);
  std::string a = forksim::test::read_file(dir / "a.json");
  CHECK(a.size() > 100000);
  CHECK(a == forksim::test::read_file(dir / "b.json"));
  CHECK(a != forksim::test::read_file(dir / "c.json"));
}

TEST_CASE("run --trace: a reused pid's later process gets a track of its own", "[trace]") {
  TempDir dir;
  // 266 pids: the 530 forks of the window go round them twice.
  json doc = traced(dir, {"--set", "tunables.pidmax=266", "--set", "tunables.max_nprocs=266",
                          "--trace-window", "0.1:0.2"});
  check_format(doc);
  std::map<long, std::string> process;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "process_name") process[e["pid"]] = e["args"]["name"];
  int later = 0;
  for (const auto& [pid, name] : process)
    if (pid > 1000000) {
      ++later;
      long base = pid % 1000000;
      CHECK(name.rfind("pid " + std::to_string(base) + " ", 0) == 0);
      CHECK(name.find(" #" + std::to_string(pid / 1000000 + 1)) != std::string::npos);
      CHECK(process.count(base) == 1);  // its pid's first process in the trace
    }
  CHECK(later > 50);
}

TEST_CASE("run --trace: bad options exit 2 naming the option and why, before the run", "[trace]") {
  TempDir dir;
  auto refused = [&](const std::vector<std::string>& extra) {
    Result r = run_cli(dir, trace_with(trace_with(kShortTrace, {"-o", "r.json"}), extra));
    CHECK(r.status == 2);
    CHECK(!std::filesystem::exists(dir / "r.json"));  // the run never started
    CHECK(!std::filesystem::exists(dir / "t.json"));
    return r.err;
  };
  CHECK(refused({"--trace", "t.json", "--trace-window", "0.15"}) ==
        "forksim run: --trace-window must be START:END in seconds of simulated time (e.g. 1:1.01), got '0.15'\n");
  CHECK(refused({"--trace", "t.json", "--trace-window", "0.1:x"}) ==
        "forksim run: --trace-window must be START:END in seconds of simulated time (e.g. 1:1.01), got '0.1:x'\n");
  CHECK(refused({"--trace", "t.json", "--trace-window", "0.15:0.1"}) ==
        "forksim run: --trace-window 0.15:0.1: the end must be after the start\n");
  CHECK(refused({"--trace", "t.json", "--trace-window", "-0.1:0.1"}) ==
        "forksim run: --trace-window -0.1:0.1: the start must be >= 0\n");
  CHECK(refused({"--trace", "t.json", "--trace-window", "0.1:5"}) ==
        "forksim run: --trace-window 0.1:5: outside the run, which ends at duration_s = 0.2 s\n");
  CHECK(refused({"--trace", "t.json", "--trace-max-events", "0"}) ==
        "forksim run: --trace-max-events must be a whole number >= 1, got '0'\n");
  CHECK(refused({"--trace", "t.json", "--trace-max-events", "1e3"}) ==
        "forksim run: --trace-max-events must be a whole number >= 1, got '1e3'\n");
  CHECK(refused({"--trace-window", "0.1:0.2"}) == "forksim run: --trace-window needs --trace FILE\n");
  CHECK(refused({"--trace", "no/such/dir/t.json"}) ==
        "forksim run: --trace no/such/dir/t.json: directory no/such/dir: No such file or directory\n");
  CHECK(refused({"--trace", "-"}) ==
        "forksim run: --trace -: the trace must go to a file (standard output takes the summary or the report)\n");
  CHECK(refused({"--trace", "t.json", "--replications", "2"}) ==
        "forksim run: --trace: a trace records one run; it takes no --replications or --precision\n");
  CHECK(refused({"--trace", "./r.json"}) == "forksim run: --trace ./r.json: the same file as -o's report\n");
  std::filesystem::create_directory(dir / "d");
  CHECK(refused({"--trace", "d"}) == "forksim run: --trace d: is a directory\n");
}

TEST_CASE("trace recorder: a lock released under a later one splits that one, so the track nests", "[trace]") {
  using namespace forksim;
  Probes probes;
  Dispatcher disp(1, probes, [] { return 0.0; });
  MutexCosts costs;
  LockStats a_stats, b_stats;
  KMutex a("pidlock", a_stats, costs), b("p_lock", b_stats, costs);
  Trace tr({0, 1, 100});
  disp.set_trace(&tr);
  Kthread t(disp, 7);
  tr.named_thread(t, 42, 1, 3);
  // forkret's order: pidlock, the child's p_lock, pidlock dropped, p_lock dropped.
  (void)t.charge(1000);
  a.enter_private(t, 1);
  (void)t.charge(1000);
  b.enter_private(t, 2);
  (void)t.charge(1000);
  a.exit_private(t);
  (void)t.charge(1000);
  b.exit_private(t);
  tr.finish(1);
  std::vector<std::string> got;
  for (const TraceEvent& e : tr.events())
    got.push_back(std::string(1, e.ph) + (e.ph == 'B' ? std::string(" ") + e.slice.name : "") +
                  (e.resumed ? "*" : "") + " " + std::to_string(static_cast<int>(e.ts_s * 1e9 + 0.5)));
  CHECK(got == std::vector<std::string>{"B pidlock 1000", "B p_lock 2000", "E* 3000", "E 3000",
                                        "B p_lock* 3000", "E 4000"});
  REQUIRE(tr.tracks().size() == 1);
  CHECK(tr.tracks()[0].pid == 42);
  CHECK(tr.tracks()[0].lwp == 1);
  CHECK(tr.tracks()[0].parent_pid == 3);
}

TEST_CASE("trace recorder: the cap cuts at the first slice that does not fit, ending every open one", "[trace]") {
  using namespace forksim;
  Probes probes;
  Dispatcher disp(1, probes, [] { return 0.0; });
  MutexCosts costs;
  LockStats stats;
  KMutex a("a", stats, costs), b("b", stats, costs), c("c", stats, costs);
  Trace tr({0, 1, 4});  // room for two slices
  disp.set_trace(&tr);
  Kthread t(disp, 1);
  (void)t.charge(1000);
  a.enter_private(t, 0);
  (void)t.charge(1000);
  b.enter_private(t, 0);
  (void)t.charge(1000);
  c.enter_private(t, 0);  // does not fit: the cut, at 3 us
  (void)t.charge(1000);
  c.exit_private(t);
  b.exit_private(t);
  a.exit_private(t);
  tr.finish(1);
  CHECK(tr.truncated());
  CHECK(tr.cut_s() == Approx(3e-6));
  CHECK(tr.events().size() == 4);
  // What the window would have held after it: c's B and E, b's and a's ends
  // were written by the cut.
  CHECK(tr.events_dropped() == 2);
  for (const TraceEvent& e : tr.events())
    if (e.ph == 'E') CHECK(e.ts_s == Approx(3e-6));
  // The recorder tracks kernel threads the model never named by their id.
  REQUIRE(tr.tracks().size() == 1);
  CHECK(tr.tracks()[0].kind == TraceTrack::Kind::Kernel);
  CHECK(tr.tracks()[0].thread_id == 1);
}

TEST_CASE("run --trace records without changing the run: the report is the one without it", "[trace]") {
  TempDir dir;
  REQUIRE(run_cli(dir, trace_with(kShortTrace, {"-o", "plain.json"})).status == 0);
  REQUIRE(run_cli(dir, trace_with(kShortTrace, {"-o", "traced.json", "--trace", "t.json",
                                     "--trace-window", "0:0.2"})).status == 0);
  auto figures = [&](const char* name) {
    json r = json::parse(forksim::test::read_file(dir / name));
    r.erase("wall_time_s");
    r.erase("manifest");  // its command line differs
    return r;
  };
  json plain = figures("plain.json");
  CHECK(plain["paths"]["fork1"]["attempts"].get<int>() > 100);
  CHECK(plain == figures("traced.json"));
}
