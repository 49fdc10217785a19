// forksim_bench: how fast, and in how much memory, forksim simulates.
//
// For each benchmark case (bench/cases/*.json) it runs
//   forksim run CASE --quiet -o TMP.json
// N times as a child process (fork/execv, no shell), and measures from
// outside what forksim cannot measure about itself: the wall time of the
// whole process (steady clock from fork to reaping), its peak RSS (wait4's
// ru_maxrss) and its RSS over time (/proc/<pid>/status, sampled). It reads
// each report for the simulated figures, prints a fixed-width table of the
// medians with each case's target (PASS/MISS), then a JSON document with
// every run's figures and the medians, so that two builds can be compared.
//
// It deliberately does not link SimGrid or any forksim library: it sees
// forksim only as a user does, through the CLI and the report.
//
// Exit status: 0 if every run succeeded (a missed target is not a failure),
// 1 if any run failed, 2 on bad usage.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/child_run.hpp"
#include "bench/sweep_scale.hpp"

// CMake passes both; the fallbacks serve a build by hand from the repository root.
#ifndef FORKSIM_BINARY
#define FORKSIM_BINARY "build/forksim"
#endif
#ifndef FORKSIM_BENCH_CASES_DIR
#define FORKSIM_BENCH_CASES_DIR "bench/cases"
#endif

namespace fs = std::filesystem;
using nlohmann::json;
using bench::ChildRun;
using bench::file_tail;
using bench::make_temp_dir;
using bench::run_child;
using bench::RssSample;

namespace {

constexpr double kFlatGrowth = 0.10;    // "flat": RSS grows less than this from mid-run to the end
constexpr size_t kStderrTailChars = 2000;

const char* const kUsage =
    "usage: forksim_bench [CASE...] [--runs N] [--forksim PATH] [--json FILE]\n"
    "       forksim_bench --sweep-speedup [--forksim PATH]\n"
    "       forksim_bench --sweep-scale [--forksim PATH]\n"
    "       forksim_bench --sweep-speed [--forksim PATH]\n"
    "\n"
    "  CASE          a case name in " FORKSIM_BENCH_CASES_DIR " (closed_8cpu, bomb_30k, ...)\n"
    "                or a scenario file; all the cases there without one\n"
    "  --runs N      runs per case (default 3); the table shows medians\n"
    "  --forksim P   the forksim binary (default " FORKSIM_BINARY ")\n"
    "  --json FILE   write the JSON document to FILE instead of stdout\n"
    "  --sweep-speedup  a 40-point sweep (closed_8cpu, workload.parents=1:40:1, one\n"
    "                replication, 1 simulated s a point) with --jobs 1 and --jobs 2:\n"
    "                both wall times and their ratio, PASS when <= 0.60 (on 2 cores)\n"
    "  --sweep-scale  1,000 points x 5 replications (sweep_scale) with --jobs 2, as 4 shards\n"
    "                merged, and with mpirun --mpi when forksim has it: the overhead per point\n"
    "                beyond the simulation (< 20 ms), the result's write time (< 5 s) and the\n"
    "                peak RSS (< 500 MB)\n"
    "  --sweep-speed  200 points of the default scenario at duration_s=2 with --jobs 2:\n"
    "                points per minute and the overhead per point beyond the simulation\n";

// The method, printed under the table and stored in the JSON: a figure is
// only comparable with one computed the same way.
const char* const kMethod[] = {
    "wall s: steady clock from fork() to wait4() of `forksim run CASE --quiet -o TMP.json` "
    "(process start and report writing included)",
    "peak RSS: wait4() ru_maxrss (KiB) / 1024",
    "forks/wall-s: simulated successful forks over the whole run / wall s (the JSON also has "
    "forks_window_per_wall_s: the window's successes only / wall s), where forks over "
    "the whole run = sum of paths.*.successes x duration_s / (duration_s - warmup_s) "
    "(the window's steady rate extrapolated to the warm-up) for closed and open workloads, "
    "and processes.nproc_max - nproc_start - workload.initial for fork_bomb (bomb processes "
    "never exit before the end, so each one beyond the initial ones is a successful fork; "
    "the window's successes are ~0 once the table is full)",
    "events/fork: engine.events (whole run: the model's waits the engine resumed) / forks "
    "over the whole run as above; the JSON also has rounds_per_fork (engine.rounds: the "
    "distinct times SimGrid's clock advanced to)",
    "fail/wall-s: fork failures over the whole run / wall s, where failures over the whole "
    "run = sum of timeseries.failures_per_s x timeseries.period_s (the sampler counts every "
    "failure, warm-up included)",
    "RSS growth: VmRSS from /proc/<pid>/status sampled every 0.5 s while forksim runs "
    "(forksim's simulated progress is unknown from outside, so wall time stands in for it); "
    "growth = (last sample - sample nearest 50% of the wall time) / the latter; flat = "
    "growth < 10%. It measures growth once the table is full only if the table fills before "
    "half the wall time: true of bomb_probe_100k (its fill takes under a tenth of the run), "
    "not always of bomb_100k (40-55% measured), whose figure can include the end of the fill",
    "bytes/proc: peak RSS in bytes / processes.nproc_max (fork_bomb only: the table's high-water "
    "mark, boot-time processes included), the memory a simulated process costs",
    "medians over the successful runs; targets are judged on the medians",
};

// ---------------------------------------------------------------------------
// The figures of one run.

struct RssTrend {
  bool measured = false;  // at least two samples, one past the middle
  double mid_mib = 0, end_mib = 0, growth = 0;
  bool flat() const { return measured && growth < kFlatGrowth; }
};

// "Memory flat once the table is full", judged from outside: forksim reports
// neither its RSS over time nor its simulated progress while it runs, so wall
// time stands in for progress. Compare the sample nearest half the wall time
// with the last one (taken at most one sampling period before the end).
RssTrend rss_trend(const std::vector<RssSample>& s, double wall_s) {
  RssTrend tr;
  if (s.size() < 2) return tr;
  auto mid = std::min_element(s.begin(), s.end(), [&](const RssSample& a, const RssSample& b) {
    return std::abs(a.t_s - wall_s / 2) < std::abs(b.t_s - wall_s / 2);
  });
  if (mid == s.end() - 1) return tr;
  tr.measured = true;
  tr.mid_mib = mid->mib;
  tr.end_mib = s.back().mib;
  tr.growth = (tr.end_mib - tr.mid_mib) / tr.mid_mib;
  return tr;
}

struct Figures {
  double wall_s = 0, peak_rss_mib = 0;
  double report_wall_s = 0;       // the report's own wall_time_s (simulation only)
  bool complete = false;
  double forks_window = 0;        // paths.*.successes
  double forks_run = 0;           // over the whole run (see kMethod)
  double forks_window_per_wall_s = 0;  // the window's forks only: an underestimate
  double forks_per_wall_s = 0;    // the whole run's: the figure printed
  double events = 0, events_per_fork = 0;
  double rounds = 0, rounds_per_fork = 0;  // SimGrid clock advances
  double failures_window = 0;     // backoff.failures
  double failures_run = 0;        // over the whole run (see kMethod)
  double failures_per_wall_s = 0;
  double bytes_per_proc = 0;      // fork_bomb: peak RSS / nproc_max (see kMethod); 0 otherwise
  RssTrend rss;
};

double ratio(double x, double d) { return d > 0 ? x / d : 0; }

// Successful forks over the whole run; kMethod says why each workload type
// needs its own estimate.
double forks_over_run(const json& rep, double forks_window) {
  const json& sc = rep.at("scenario");
  if (sc.at("workload").at("type") == "fork_bomb") {
    const json& p = rep.at("processes");
    return p.at("nproc_max").get<double>() - p.at("nproc_start").get<double>() -
           sc.at("workload").at("initial").get<double>();
  }
  double duration = sc.at("duration_s"), window = rep.at("window").at("length_s");
  return forks_window * ratio(duration, window);
}

double failures_over_run(const json& ts) {
  double period = ts.at("period_s"), n = 0;
  for (double f : ts.at("failures_per_s")) n += f * period;
  return n;
}

Figures figures(const ChildRun& c, const json& rep) {
  Figures f;
  f.wall_s = c.wall_s;
  f.peak_rss_mib = c.maxrss_mib;
  f.report_wall_s = rep.at("wall_time_s");
  f.complete = rep.at("complete");
  for (const auto& [name, p] : rep.at("paths").items()) f.forks_window += p.at("successes").get<double>();
  f.forks_run = forks_over_run(rep, f.forks_window);
  f.forks_window_per_wall_s = ratio(f.forks_window, f.wall_s);
  f.forks_per_wall_s = ratio(f.forks_run, f.wall_s);
  f.events = rep.at("engine").at("events");
  f.events_per_fork = ratio(f.events, f.forks_run);
  f.rounds = rep.at("engine").at("rounds");
  f.rounds_per_fork = ratio(f.rounds, f.forks_run);
  f.failures_window = rep.at("backoff").at("failures");
  f.failures_run = failures_over_run(rep.at("timeseries"));
  f.failures_per_wall_s = ratio(f.failures_run, f.wall_s);
  if (rep.at("scenario").at("workload").at("type") == "fork_bomb")
    f.bytes_per_proc = ratio(c.maxrss_mib * 1024 * 1024, rep.at("processes").at("nproc_max").get<double>());
  f.rss = rss_trend(c.rss, c.wall_s);
  return f;
}

json to_json(const RssTrend& t) {
  if (!t.measured) return nullptr;
  return {{"mid_mib", t.mid_mib}, {"end_mib", t.end_mib}, {"growth", t.growth}, {"flat", t.flat()}};
}

json to_json(const Figures& f) {
  return {{"wall_s", f.wall_s},
          {"peak_rss_mib", f.peak_rss_mib},
          {"report_wall_time_s", f.report_wall_s},
          {"complete", f.complete},
          {"forks_window", f.forks_window},
          {"forks_run", f.forks_run},
          {"forks_window_per_wall_s", f.forks_window_per_wall_s},
          {"forks_per_wall_s", f.forks_per_wall_s},
          {"events", f.events},
          {"events_per_fork", f.events_per_fork},
          {"rounds", f.rounds},
          {"rounds_per_fork", f.rounds_per_fork},
          {"failures_window", f.failures_window},
          {"failures_run", f.failures_run},
          {"failures_per_wall_s", f.failures_per_wall_s},
          {"bytes_per_proc", f.bytes_per_proc > 0 ? json(f.bytes_per_proc) : json(nullptr)},
          {"rss_trend", to_json(f.rss)}};
}

// ---------------------------------------------------------------------------
// Cases, their runs, their medians and their targets.

struct RunResult {
  bool ok = false;
  std::string error;  // why not ok, with forksim's stderr tail
  Figures fig;
  size_t rss_samples = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The median of one figure over the successful runs.
double median_of(const std::vector<RunResult>& runs, const std::function<double(const Figures&)>& get) {
  std::vector<double> v;
  for (const auto& r : runs)
    if (r.ok) v.push_back(get(r.fig));
  return median(v);
}

struct Medians {
  int ok_runs = 0;
  bool all_complete = true;  // every successful run's report says complete
  bool rss_measured = true;  // in every successful run
  double wall_s = 0, peak_rss_mib = 0, forks_per_wall_s = 0, events_per_fork = 0,
         failures_per_wall_s = 0, rss_growth = 0, bytes_per_proc = 0;
};

Medians medians(const std::vector<RunResult>& runs) {
  Medians m;
  for (const auto& r : runs) {
    if (!r.ok) continue;
    ++m.ok_runs;
    m.all_complete = m.all_complete && r.fig.complete;
    m.rss_measured = m.rss_measured && r.fig.rss.measured;
  }
  m.wall_s = median_of(runs, [](const Figures& f) { return f.wall_s; });
  m.peak_rss_mib = median_of(runs, [](const Figures& f) { return f.peak_rss_mib; });
  m.forks_per_wall_s = median_of(runs, [](const Figures& f) { return f.forks_per_wall_s; });
  m.events_per_fork = median_of(runs, [](const Figures& f) { return f.events_per_fork; });
  m.failures_per_wall_s = median_of(runs, [](const Figures& f) { return f.failures_per_wall_s; });
  m.rss_growth = median_of(runs, [](const Figures& f) { return f.rss.growth; });
  m.bytes_per_proc = median_of(runs, [](const Figures& f) { return f.bytes_per_proc; });
  return m;
}

struct Target {
  std::string name;  // the case it belongs to
  std::string text;
  // Judged on the medians; every run must also have succeeded.
  std::function<bool(const Medians&)> met;
};

constexpr double kGiB = 1024;  // in MiB

// The targets, in the order the cases are run by default.
const std::vector<Target>& targets() {
  static const std::vector<Target> t = {
      {"closed_8cpu", ">= 100,000 forks/wall-s",
       [](const Medians& m) { return m.forks_per_wall_s >= 100000; }},
      {"bomb_30k", "< 10 s wall, < 1 GiB RSS",
       [](const Medians& m) { return m.wall_s < 10 && m.peak_rss_mib < 1 * kGiB; }},
      {"bomb_100k", "< 30 s wall, < 3 GiB RSS",
       [](const Medians& m) { return m.wall_s < 30 && m.peak_rss_mib < 3 * kGiB; }},
      {"bomb_probe_100k", "complete, RSS flat (<10%)",
       [](const Medians& m) { return m.all_complete && m.rss_measured && m.rss_growth < kFlatGrowth; }},
      {"bomb_1m", "< 15 s wall, <= 1 KiB/proc",
       [](const Medians& m) { return m.wall_s < 15 && m.bytes_per_proc > 0 && m.bytes_per_proc <= 1024; }},
  };
  return t;
}

const Target* target_of(const std::string& name) {
  for (const auto& t : targets())
    if (t.name == name) return &t;
  return nullptr;
}

struct Case {
  std::string name;
  std::string file;
  std::vector<RunResult> runs;
  double total_wall_s = 0;  // every run, as the user waits for them

  int failed_runs() const {
    return static_cast<int>(std::count_if(runs.begin(), runs.end(), [](const RunResult& r) { return !r.ok; }));
  }
  // "PASS", "MISS", "FAIL" (a run failed: no verdict) or "-" (no target).
  std::string verdict(const Medians& m) const {
    const Target* t = target_of(name);
    if (failed_runs() > 0) return "FAIL";
    if (!t) return "-";
    return t->met(m) ? "PASS" : "MISS";
  }
};

struct Options {
  bool sweep_speedup = false;
  bool sweep_scale = false;
  bool sweep_speed = false;
  std::vector<std::string> cases;
  int runs = 3;
  std::string forksim = FORKSIM_BINARY;
  std::string json_file;
};

// A case argument is a name in the cases directory, or a file.
Case make_case(const std::string& arg) {
  fs::path p = arg;
  if (p.extension() != ".json") p = fs::path(FORKSIM_BENCH_CASES_DIR) / (arg + ".json");
  if (!fs::exists(p)) throw std::invalid_argument("no such case: " + arg + " (" + p.string() + ")");
  return Case{p.stem().string(), p.string(), {}, 0};
}

// Every case in the directory: the in its order, then the others by name.
std::vector<std::string> default_cases() {
  std::vector<std::string> names, others;
  for (const auto& t : targets())
    if (fs::exists(fs::path(FORKSIM_BENCH_CASES_DIR) / (t.name + ".json"))) names.push_back(t.name);
  for (const auto& e : fs::directory_iterator(FORKSIM_BENCH_CASES_DIR)) {
    std::string stem = e.path().stem().string();
    if (e.path().extension() == ".json" && !target_of(stem)) others.push_back(stem);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());
  return names;
}

RunResult run_once(const Options& o, const Case& c, const fs::path& tmp, int i) {
  fs::path report = tmp / (c.name + "." + std::to_string(i) + ".json");
  fs::path errlog = tmp / (c.name + "." + std::to_string(i) + ".stderr");
  ChildRun child = run_child({o.forksim, "run", c.file, "--quiet", "-o", report.string()}, errlog.string());

  RunResult r;
  r.rss_samples = child.rss.size();
  r.fig.wall_s = child.wall_s;
  r.fig.peak_rss_mib = child.maxrss_mib;
  if (!child.exited || child.code != 0) {
    r.error = (child.exited ? "exit status " : "killed by signal ") + std::to_string(child.code) +
              "; stderr tail:\n" + file_tail(errlog.string(), kStderrTailChars);
    return r;
  }
  try {
    std::ifstream in(report);
    r.fig = figures(child, json::parse(in));
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = std::string("unreadable report: ") + e.what();
  }
  return r;
}

void run_case(const Options& o, Case& c, const fs::path& tmp) {
  for (int i = 1; i <= o.runs; ++i) {
    std::cerr << "bench: " << c.name << " run " << i << "/" << o.runs << " ..." << std::flush;
    RunResult r = run_once(o, c, tmp, i);
    c.total_wall_s += r.fig.wall_s;
    std::cerr << " " << std::fixed << std::setprecision(1) << r.fig.wall_s << " s";
    if (r.ok) std::cerr << ", " << std::setprecision(0) << r.fig.peak_rss_mib << " MiB\n";
    else std::cerr << ", FAILED: " << r.error << "\n";
    c.runs.push_back(std::move(r));
  }
}

// ---------------------------------------------------------------------------
// Output.

std::string fmt(double x, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << x;
  return s.str();
}

void print_table(std::ostream& out, const std::vector<Case>& cases) {
  const std::vector<std::pair<std::string, int>> cols = {
      {"case", 16},     {"ok/runs", 8}, {"wall s", 8},       {"peak RSS MiB", 13},
      {"forks/wall-s", 13}, {"events/fork", 12}, {"fail/wall-s", 12}, {"bytes/proc", 10}, {"RSS growth", 11},
      {"total s", 8},   {"target", 27}, {"result", 6}};
  auto row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cols.size(); ++i)
      out << (i == 0 || i >= cols.size() - 2 ? std::left : std::right) << std::setw(cols[i].second)
          << cells[i] << (i + 1 < cols.size() ? "  " : "\n");
  };
  std::vector<std::string> head;
  for (const auto& c : cols) head.push_back(c.first);
  row(head);
  for (const auto& c : cases) {
    Medians m = medians(c.runs);
    const Target* t = target_of(c.name);
    bool any = m.ok_runs > 0;
    auto num = [&](double x, int prec) { return any ? fmt(x, prec) : std::string("-"); };
    row({c.name, std::to_string(m.ok_runs) + "/" + std::to_string(c.runs.size()), num(m.wall_s, 2),
         num(m.peak_rss_mib, 0), num(m.forks_per_wall_s, 0), num(m.events_per_fork, 1),
         num(m.failures_per_wall_s, 0), any && m.bytes_per_proc > 0 ? fmt(m.bytes_per_proc, 0) : "-",
         any && m.rss_measured ? fmt(100 * m.rss_growth, 1) + "%" : "-", fmt(c.total_wall_s, 1),
         t ? t->text : "-", c.verdict(m)});
  }
  out << "\nMedians over the successful runs. How each figure is computed:\n";
  for (const char* line : kMethod) out << "  - " << line << "\n";
  for (const auto& c : cases)
    for (size_t i = 0; i < c.runs.size(); ++i)
      if (!c.runs[i].ok) out << "\n" << c.name << " run " << i + 1 << " FAILED: " << c.runs[i].error << "\n";
}

json medians_json(const Medians& m) {
  if (m.ok_runs == 0) return {{"ok_runs", 0}};  // no figures rather than zeros
  return {{"ok_runs", m.ok_runs},
          {"all_complete", m.all_complete},
          {"wall_s", m.wall_s},
          {"peak_rss_mib", m.peak_rss_mib},
          {"forks_per_wall_s", m.forks_per_wall_s},
          {"events_per_fork", m.events_per_fork},
          {"failures_per_wall_s", m.failures_per_wall_s},
          {"bytes_per_proc", m.bytes_per_proc > 0 ? json(m.bytes_per_proc) : json(nullptr)},
          {"rss_growth", m.rss_measured ? json(m.rss_growth) : json(nullptr)}};
}

json document(const Options& o, const std::vector<Case>& cases) {
  json doc = {{"forksim", o.forksim}, {"runs_per_case", o.runs}, {"method", json::array()},
              {"cases", json::array()}};
  for (const char* line : kMethod) doc["method"].push_back(line);
  bool failed = false;
  for (const auto& c : cases) {
    json runs = json::array();
    for (const auto& r : c.runs) {
      json j = r.ok ? to_json(r.fig) : json{{"wall_s", r.fig.wall_s}, {"peak_rss_mib", r.fig.peak_rss_mib}};
      j["ok"] = r.ok;
      j["rss_samples"] = r.rss_samples;
      if (!r.ok) j["error"] = r.error;
      runs.push_back(j);
    }
    Medians m = medians(c.runs);
    const Target* t = target_of(c.name);
    failed = failed || c.failed_runs() > 0;
    doc["cases"].push_back({{"name", c.name},
                            {"file", c.file},
                            {"runs", runs},
                            {"median", medians_json(m)},
                            {"total_wall_s", c.total_wall_s},
                            {"target", t ? json(t->text) : json(nullptr)},
                            {"result", c.verdict(m)}});
  }
  doc["any_run_failed"] = failed;
  return doc;
}

// ---------------------------------------------------------------------------
// Command line.

struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

Options parse_args(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw UsageError(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "--runs") {
      std::string v = value(i);
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 1 || n > 1000) throw UsageError("--runs must be an integer from 1 to 1000, got " + v);
      o.runs = static_cast<int>(n);
    } else if (a == "--forksim") {
      o.forksim = value(i);
    } else if (a == "--json") {
      o.json_file = value(i);
    } else if (a == "--sweep-speedup") {
      o.sweep_speedup = true;
    } else if (a == "--sweep-scale") {
      o.sweep_scale = true;
    } else if (a == "--sweep-speed") {
      o.sweep_speed = true;
    } else if (a.rfind("--", 0) == 0) {
      throw UsageError("unknown option " + a);
    } else {
      o.cases.push_back(a);
    }
  }
  if (o.cases.empty()) o.cases = default_cases();
  if (access(o.forksim.c_str(), X_OK) != 0) throw UsageError("cannot execute " + o.forksim + " (--forksim PATH)");
  return o;
}

// The target for parallel sweeps: on 2 cores, --jobs 2 takes at
// most 60% of the wall time of --jobs 1 (ideal: 50%; the rest is the
// parent's share, the pool's forks and the cores' other work).
constexpr double kSweepRatioTarget = 0.60;

int sweep_speedup(const Options& o) {
  fs::path tmp = make_temp_dir("forksim_bench");
  const std::string scenario = std::string(FORKSIM_BENCH_CASES_DIR) + "/closed_8cpu.json";
  double wall[2] = {0, 0};
  bool ok = true;
  for (int jobs : {1, 2}) {
    fs::path out = tmp / ("sweep" + std::to_string(jobs) + ".json");
    fs::path errlog = tmp / ("sweep" + std::to_string(jobs) + ".stderr");
    std::cerr << "bench: sweep of 40 points, --jobs " << jobs << " ..." << std::flush;
    ChildRun c = run_child({o.forksim, "sweep", scenario, "--vary", "workload.parents=1:40:1",
                            "--replications", "1", "--jobs", std::to_string(jobs), "--set",
                            "duration_s=1", "--set", "warmup_s=0.1", "-q", "-o", out.string()},
                           errlog.string());
    wall[jobs - 1] = c.wall_s;
    std::cerr << " " << std::fixed << std::setprecision(2) << c.wall_s << " s\n";
    if (!c.exited || c.code != 0) {
      std::cerr << "bench: the sweep failed (" << c.code << "): " << file_tail(errlog.string(), kStderrTailChars) << "\n";
      ok = false;
    }
  }
  fs::remove_all(tmp);
  const double ratio_2_1 = ratio(wall[1], wall[0]);
  std::cout << "sweep of 40 points: --jobs 1 " << fmt(wall[0], 2) << " s, --jobs 2 " << fmt(wall[1], 2)
            << " s, ratio " << fmt(ratio_2_1, 2) << " (target <= " << fmt(kSweepRatioTarget, 2) << ", "
            << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs online): " << (!ok ? "FAIL (a sweep failed)" : ratio_2_1 <= kSweepRatioTarget ? "PASS" : "FAIL")
            << "\n";
  return ok ? 0 : 1;
}

int run_bench(const Options& o) {
  if (o.sweep_speedup) return sweep_speedup(o);
  if (o.sweep_scale) return bench::sweep_scale(o.forksim, FORKSIM_BENCH_CASES_DIR);
  if (o.sweep_speed) return bench::sweep_speed(o.forksim);
  std::vector<Case> cases;
  for (const auto& a : o.cases) cases.push_back(make_case(a));

  fs::path tmp = make_temp_dir("forksim_bench");
  for (auto& c : cases) run_case(o, c, tmp);
  fs::remove_all(tmp);

  print_table(std::cout, cases);
  json doc = document(o, cases);
  if (o.json_file.empty()) {
    std::cout << "\n" << doc.dump(2) << "\n";
  } else {
    std::ofstream f(o.json_file);
    f << doc.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + o.json_file);
    std::cout << "\nJSON written to " << o.json_file << "\n";
  }
  return doc["any_run_failed"].get<bool>() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_bench(parse_args(argc, argv));
  } catch (const UsageError& e) {
    std::cerr << "forksim_bench: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::invalid_argument& e) {  // a case that does not exist
    std::cerr << "forksim_bench: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "forksim_bench: " << e.what() << "\n";
    return 1;
  }
}
