#include "bench/sweep_scale.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/child_run.hpp"

namespace fs = std::filesystem;

namespace bench {
namespace {

constexpr int kPoints = 1000;
constexpr int kReplications = 5;
constexpr int kShards = 4;
constexpr int kJobs = 2;  // runs at once in every variant (MPI: worker ranks)
constexpr double kOverheadTargetMs = 20;
constexpr double kWriteTargetS = 5;
constexpr double kRssTargetMb = 500;
constexpr double kPollS = 0.02;  // how often the partial log is looked at
constexpr size_t kStderrTailChars = 2000;

const char* const kMethod[] = {
    "overhead per point = (wall s x 2 runs at once - the sum of the runs' own wall_time_s, the "
    "simulation alone) / the points: process start, the driver, result gathering and writing",
    "wall s: from the first forksim process's start to the last one's end (the shards' variant: "
    "the four shards two at a time, then forksim merge)",
    "write s: a sweep's, from the last change of its partial log (its last point, seen by polling "
    "every 20 ms) to the process's end; the shards' variant: forksim merge's whole wall time",
    "CPU time: wait4() ru_utime + ru_stime of every forksim process and its runs; on a machine "
    "other work shares, wall times grow with the load average printed, CPU times much less",
    "peak RSS: wait4() ru_maxrss, the largest of the process and every descendant it reaped (the "
    "sweep's runs are forked from it), in MB of 10^6 bytes; the shards' variant: forksim merge's",
};

std::string fmt(double x, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << x;
  return s.str();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one.empty() ? "unknown" : one + " (1 min), " + five + " (5 min)";
}

double realtime_now() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

// What a sweep result says, read without building its tree (a 5,000-run
// result would take more memory as a tree than the sweep itself).
struct ResultFigures {
  bool complete = false;
  int points = 0, runs = 0;
  double runs_wall_s = 0;  // the sum of the runs' wall_time_s
  long long bytes = 0;
};

// A SAX reader of the paths complete, points[], points[].runs[] and
// points[].runs[].wall_time_s.
class ResultReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit ResultReader(ResultFigures& f) : f_(f) {}
  bool null() override { return true; }
  bool boolean(bool v) override {
    if (at({"complete"})) f_.complete = v;
    return true;
  }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (at({"points", "[]"})) ++f_.points;
    if (at({"points", "[]", "runs", "[]"})) ++f_.runs;
    path_.push_back("");
    return true;
  }
  bool key(string_t& k) override {
    path_.back() = k;
    return true;
  }
  bool end_object() override {
    path_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    path_.push_back("[]");
    return true;
  }
  bool end_array() override {
    path_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw std::runtime_error(std::string("the result is not JSON: ") + e.what());
  }

 private:
  bool at(const std::vector<std::string>& p) const { return path_ == p; }
  bool number(double v) {
    if (at({"points", "[]", "runs", "[]", "wall_time_s"})) f_.runs_wall_s += v;
    return true;
  }
  ResultFigures& f_;
  // Each open container from the top: an object's current key, or "[]".
  std::vector<std::string> path_;
};

ResultFigures read_result(const fs::path& p) {
  ResultFigures f;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("no result " + p.string());
  ResultReader reader(f);
  nlohmann::json::sax_parse(in, &reader);
  f.bytes = static_cast<long long>(fs::file_size(p));
  return f;
}

struct Variant {
  std::string name;
  std::string skipped;  // why it did not run, when it did not
  std::string error;    // why it failed, when it did
  double wall_s = 0, write_s = NAN, peak_rss_mb = 0;
  double cpu_s = 0;        // every process's CPU time
  double write_cpu_s = NAN;  // the merge's (a sweep's writing is not timed apart)
  ResultFigures result;
  // Over the points asked (the result holds them all when it is whole).
  int points = kPoints;
  double overhead_ms() const { return (wall_s * kJobs - result.runs_wall_s) / points * 1000; }
};

std::string failure(const ChildRun& c, const fs::path& errlog) {
  if (c.exited && c.code == 0) return "";
  return (c.exited ? "exit status " : "killed by signal ") + std::to_string(c.code) + "; stderr tail:\n" +
         file_tail(errlog.string(), kStderrTailChars);
}

double megabytes(double mib) { return mib * 1024 * 1024 / 1e6; }

// Runs one sweep command whose -o is `out`, timing the end from its
// partial log's last change.
void run_sweep(Variant& v, const std::vector<std::string>& args, const fs::path& out, const fs::path& errlog) {
  const std::string log = out.string() + ".partial.jsonl";
  double last_change = NAN;
  ChildOptions o;
  o.period_s = kPollS;
  o.on_sample = [&](pid_t) {
    struct stat st;
    if (::stat(log.c_str(), &st) == 0)
      last_change = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
  };
  ChildRun c = run_child(args, errlog.string(), o);
  const double end = realtime_now();
  v.wall_s = c.wall_s;
  v.cpu_s = c.cpu_s;
  v.peak_rss_mb = megabytes(c.maxrss_mib);
  v.write_s = end - last_change;
  v.error = failure(c, errlog);
}

// Points that all cost the same: the parent's uid changes nothing the
// model times, so the figures do not depend on which point runs where.
std::string uid_vary(int points) { return "workload.parent.uid=100:" + std::to_string(100 + points - 1) + ":1"; }

std::vector<std::string> sweep_args(const std::string& forksim, const std::string& scenario,
                                    const fs::path& out) {
  return {forksim, "sweep", scenario, "--vary", uid_vary(kPoints), "--replications", std::to_string(kReplications),
          "--progress", "off", "-q", "-o", out.string()};
}

Variant jobs_variant(const std::string& forksim, const std::string& scenario, const fs::path& tmp) {
  Variant v;
  v.name = "--jobs 2";
  const fs::path out = tmp / "jobs2.json";
  std::vector<std::string> args = sweep_args(forksim, scenario, out);
  args.insert(args.end(), {"--jobs", std::to_string(kJobs)});
  run_sweep(v, args, out, tmp / "jobs2.stderr");
  if (v.error.empty()) v.result = read_result(out);
  return v;
}

Variant shards_variant(const std::string& forksim, const std::string& scenario, const fs::path& tmp) {
  Variant v;
  v.name = "4 shards + merge";
  auto shard_out = [&](int i) { return tmp / ("shard" + std::to_string(i) + ".json"); };
  std::atomic<int> next{1};
  std::mutex m;
  const auto t0 = std::chrono::steady_clock::now();
  // Two at a time, as `xargs -P 2` would: each worker takes the next shard.
  auto worker = [&] {
    for (int i; (i = next++) <= kShards;) {
      std::vector<std::string> args = sweep_args(forksim, scenario, shard_out(i));
      args.insert(args.end(), {"--jobs", "1", "--shard", std::to_string(i) + "/" + std::to_string(kShards)});
      const fs::path errlog = tmp / ("shard" + std::to_string(i) + ".stderr");
      ChildOptions o;
      o.period_s = kPollS;
      ChildRun c = run_child(args, errlog.string(), o);
      std::lock_guard<std::mutex> lock(m);
      v.cpu_s += c.cpu_s;
      if (std::string e = failure(c, errlog); !e.empty() && v.error.empty()) v.error = "shard " + std::to_string(i) + ": " + e;
    }
  };
  std::vector<std::thread> workers;
  for (int k = 0; k < kJobs; ++k) workers.emplace_back(worker);
  for (std::thread& w : workers) w.join();
  if (!v.error.empty()) return v;
  const fs::path out = tmp / "merged.json";
  std::vector<std::string> args = {forksim, "merge", out.string()};
  for (int i = 1; i <= kShards; ++i) args.push_back(shard_out(i).string());
  args.push_back("-q");
  ChildRun c = run_child(args, (tmp / "merge.stderr").string(), ChildOptions{"", kPollS, {}});
  v.wall_s = since(t0);
  v.write_s = c.wall_s;
  v.write_cpu_s = c.cpu_s;
  v.cpu_s += c.cpu_s;
  v.peak_rss_mb = megabytes(c.maxrss_mib);
  v.error = failure(c, tmp / "merge.stderr");
  if (v.error.empty()) v.result = read_result(out);
  return v;
}

// A program on PATH, or "".
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return "";
}

// Whether forksim sweep takes --mpi (a build with MPI lists it in its help).
bool has_mpi(const std::string& forksim, const fs::path& tmp) {
  const fs::path help = tmp / "sweep_help.txt";
  ChildOptions o;
  o.stdout_path = help.string();
  ChildRun c = run_child({forksim, "sweep", "--help"}, (tmp / "sweep_help.stderr").string(), o);
  std::ifstream in(help);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return c.exited && c.code == 0 && text.find("--mpi") != std::string::npos;
}

Variant mpi_variant(const std::string& forksim, const std::string& scenario, const fs::path& tmp) {
  Variant v;
  v.name = "mpirun -np 3 --mpi";
  const std::string mpirun = on_path("mpirun");
  if (!has_mpi(forksim, tmp)) {
    v.skipped = "this forksim was built without MPI (its sweep has no --mpi)";
    return v;
  }
  if (mpirun.empty()) {
    v.skipped = "no mpirun on PATH";
    return v;
  }
  if (geteuid() == 0) {  // Open MPI refuses root unless told twice
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  const fs::path out = tmp / "mpi.json";
  std::vector<std::string> args = {mpirun, "-np", std::to_string(kJobs + 1), "--oversubscribe"};
  for (const std::string& a : sweep_args(forksim, scenario, out)) args.push_back(a);
  args.push_back("--mpi");
  run_sweep(v, args, out, tmp / "mpi.stderr");
  if (v.error.empty()) v.result = read_result(out);
  return v;
}

std::string verdict(bool met) { return met ? "PASS" : "FAIL"; }

// The variant's lines; false when it ran and failed or gave less than the whole result.
bool print(std::ostream& out, const Variant& v) {
  const std::string head = "sweep-scale " + v.name + ": ";
  if (!v.skipped.empty()) {
    out << head << "skipped: " << v.skipped << "\n";
    return true;
  }
  std::string wrong = v.error;
  if (wrong.empty() && (!v.result.complete || v.result.points != kPoints ||
                        v.result.runs != kPoints * kReplications))
    wrong = "the result is not whole: complete " + std::string(v.result.complete ? "true" : "false") + ", " +
            std::to_string(v.result.points) + " points, " + std::to_string(v.result.runs) + " runs";
  if (!wrong.empty()) {
    out << head << "FAIL (did not run through): " << wrong << "\n";
    return false;
  }
  const double overhead = v.overhead_ms();
  out << head << "overhead " << fmt(overhead, 1) << " ms/point (wall " << fmt(v.wall_s, 1) << " s x " << kJobs
      << " - runs' own " << fmt(v.result.runs_wall_s, 1) << " s, over " << v.points << " points; CPU time of "
      << "every process " << fmt(v.cpu_s, 1) << " s; target < "
      << fmt(kOverheadTargetMs, 0) << " ms): " << verdict(overhead < kOverheadTargetMs) << "\n";
  out << head << "result of " << fmt(v.result.bytes / 1e6, 0) << " MB written in "
      << (std::isnan(v.write_s) ? std::string("? (the partial log was never seen)") : fmt(v.write_s, 2) + " s")
      << (std::isnan(v.write_cpu_s) ? std::string() : " (CPU " + fmt(v.write_cpu_s, 2) + " s)")
      << " (target < " << fmt(kWriteTargetS, 0) << " s): " << verdict(!std::isnan(v.write_s) && v.write_s < kWriteTargetS)
      << "\n";
  out << head << "peak RSS " << fmt(v.peak_rss_mb, 0) << " MB (target < " << fmt(kRssTargetMb, 0)
      << " MB): " << verdict(v.peak_rss_mb < kRssTargetMb) << "\n";
  return true;
}

// Issue 16's sweep speed: kSpeedPoints points of the default scenario at
// kSpeedDurationS simulated seconds, the sweep's default replications.
constexpr int kSpeedPoints = 200;
constexpr const char* kSpeedDurationS = "2";

}  // namespace

int sweep_speed(const std::string& forksim) {
  const fs::path tmp = make_temp_dir("forksim_bench_speed");
  const std::string load = load_average();
  std::cout << "sweep-speed: " << kSpeedPoints << " points of the default scenario at duration_s="
            << kSpeedDurationS << " (the sweep's default replications), --jobs " << kJobs << ", "
            << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs online; load average " << load << " before\n";
  Variant v;
  v.name = "--jobs 2";
  v.points = kSpeedPoints;
  const fs::path out = tmp / "speed.json";
  const std::vector<std::string> args = {forksim, "sweep", "--set", std::string("duration_s=") + kSpeedDurationS,
                                         "--vary", uid_vary(kSpeedPoints), "--jobs", std::to_string(kJobs),
                                         "--progress", "off", "-q", "-o", out.string()};
  run_sweep(v, args, out, tmp / "speed.stderr");
  if (v.error.empty()) v.result = read_result(out);
  const std::string head = "sweep-speed: ";
  bool ok = v.error.empty() && v.result.complete && v.result.points == kSpeedPoints;
  if (!ok) {
    std::cout << head << "FAIL (did not run through): "
              << (v.error.empty() ? std::to_string(v.result.points) + " points, complete " +
                                        (v.result.complete ? "true" : "false")
                                  : v.error)
              << "\n";
  } else {
    std::cout << head << fmt(kSpeedPoints / v.wall_s * 60, 0) << " points per minute (" << v.result.runs
              << " runs in " << fmt(v.wall_s, 1) << " s wall; CPU time of every process " << fmt(v.cpu_s, 1)
              << " s)\n"
              << head << "driver overhead " << fmt(v.overhead_ms(), 1) << " ms/point (wall " << fmt(v.wall_s, 1)
              << " s x " << kJobs << " - runs' own " << fmt(v.result.runs_wall_s, 1) << " s, over "
              << kSpeedPoints << " points)\n";
  }
  std::cout << head << "load average " << load_average() << " after\n"
            << "How each figure is computed:\n  - points per minute = " << kSpeedPoints
            << " / wall s x 60, wall s from the sweep's start to its end\n  - " << kMethod[0] << "\n";
  fs::remove_all(tmp);
  return ok ? 0 : 1;
}

int sweep_scale(const std::string& forksim, const std::string& cases_dir) {
  const std::string scenario = cases_dir + "/sweep_scale.json";
  if (!fs::exists(scenario)) throw std::runtime_error("no case " + scenario);
  const fs::path tmp = make_temp_dir("forksim_bench_scale");
  std::cout << "sweep-scale: " << kPoints << " points x " << kReplications << " replications of " << scenario
            << ", " << kJobs << " runs at once, " << sysconf(_SC_NPROCESSORS_ONLN) << " CPUs online\n";
  bool ok = true;
  using Run = Variant (*)(const std::string&, const std::string&, const fs::path&);
  for (Run run : {Run(jobs_variant), Run(shards_variant), Run(mpi_variant)}) {
    const std::string load = load_average();
    std::cerr << "bench: sweep-scale variant ... (load average " << load << ")\n";
    Variant v = run(forksim, scenario, tmp);
    std::cout << "sweep-scale " << v.name << ": load average " << load << " before, " << load_average()
              << " after\n";
    ok = print(std::cout, v) && ok;
    std::cout << std::flush;
  }
  std::cout << "How each figure is computed:\n";
  for (const char* line : kMethod) std::cout << "  - " << line << "\n";
  fs::remove_all(tmp);
  return ok ? 0 : 1;
}

}  // namespace bench
