// The host's own fork figures, measured with POSIX calls (never SimGrid):
// fork, vfork and posix_spawn call latency, fork + exit + wait, fork
// throughput of one or several processes (or of several threads of one),
// and the rate at which fork fails at RLIMIT_NPROC.
//
// Each case's figure is the median of `passes` passes (each pass itself the
// median of its iterations, so that another process's burst on a shared
// machine moves one iteration, not the pass), with the lowest and highest
// pass as its spread. The parent's region is private anonymous memory,
// transparent huge pages off, every 4 KiB page written before the case, so
// all of it is resident (fork's cost follows resident pages).
//
// Nothing forks without bound: every child is reaped before the next
// iteration (throughput workers have one child at a time and stop at their
// deadline), and the process-limit case runs in a child of its own whose
// limit is 0, so that every fork it tries fails.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forksim {

enum class BenchKind {
  ForkCall,    // fork() in the parent, the child _exits at once
  ForkWait,    // fork() + the child's _exit + waitpid()
  VforkCall,   // vfork(), the child _exits at once
  SpawnCall,   // posix_spawn() of a program that exits at once
  ForkRate,    // `processes` processes (or `threads` threads of one) looping fork + _exit + waitpid
  NprocFail,   // fork failing with EAGAIN at RLIMIT_NPROC, failures a second
};

struct BenchCase {
  BenchKind kind = BenchKind::ForkCall;
  double size_mb = 0;   // the parent's private region, resident
  int processes = 1;    // ForkRate: forking processes at once
  int threads = 1;      // ForkRate: forking threads of one process (processes 1)
};

// What a case's figure is called in files and tables: "fork_call",
// "fork_wait", "vfork_call", "spawn_call", "fork_rate", "nproc_fail".
const char* bench_kind_name(BenchKind k);
// nullptr when unknown.
const BenchKind* bench_kind_of(const std::string& name);
// "us" for the latencies, "per s" for the rates.
const char* bench_unit(BenchKind k);
// "fork_call 64 MB", "fork_rate 4 processes", "fork_rate 1 process x 4 threads".
std::string bench_label(const BenchCase& c);

struct BenchFigure {
  BenchCase c;
  double median = 0, lo = 0, hi = 0;  // in bench_unit(c.kind)
  std::vector<double> passes;         // each pass's value, in order
  long iterations = 0;                // per pass (ForkRate, NprocFail: forks or failures counted)
  std::string skipped;                // not measured, and why ("" when measured)
};

struct BenchPlan {
  int passes = 5;
  double pass_s = 0.1;       // time a pass aims at (latencies: iterations until then, 5 to 2,000)
  double rate_s = 0.3;       // length of one throughput pass
  std::string spawn_program = "/bin/true";
};

// Seconds `cases` will take by the plan, roughly (touching each region,
// the passes): what the command announces before it starts.
double bench_estimate_s(const std::vector<BenchCase>& cases, const BenchPlan& plan);

// Measures each case in order; `progress(i, figure)` after each. A region
// that cannot be mapped, or a call that fails, throws std::runtime_error
// naming the case; a figure that cannot be taken here (the process limit as
// root where privileges cannot be dropped, a missing spawn program) comes
// back with `skipped` saying why.
std::vector<BenchFigure> run_bench(const std::vector<BenchCase>& cases, const BenchPlan& plan,
                                   const std::function<void(std::size_t, const BenchFigure&)>& progress);

// {"kind", "size_mb", "processes", "threads", "unit", "median", "lo", "hi",
//  "passes", "iterations"} or, skipped, {"kind", ..., "skipped"}.
nlohmann::json bench_figure_json(const BenchFigure& f);
// The inverse, for a fragment's figures; throws std::invalid_argument
// naming the field that is wrong.
BenchFigure bench_figure_from_json(const nlohmann::json& j);

}  // namespace forksim
