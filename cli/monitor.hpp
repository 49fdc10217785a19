// Watches a run from outside the model: progress on stderr, the budgets
// (--max-wall-s, --max-memory-mb) that stop a run cleanly, with a partial
// report, before the machine kills it, and SIGINT/SIGTERM (cli/interrupt.hpp),
// which stop it the same way.
#pragma once
#include <chrono>
#include <ostream>
#include <string>

#include "scenarios/workload.hpp"

namespace forksim {

struct MonitorOptions {
  double max_wall_s = 0;     // 0: no limit
  double max_memory_mb = 0;  // resident set; 0: no limit
  bool progress = false;
};

class RunMonitor {
 public:
  RunMonitor(const MonitorOptions& opt, std::ostream& err);
  // RunOptions::monitor: the reason to stop, or "".
  std::string operator()(const RunStatus& st);
  // Ends the progress line, if one was drawn.
  void finish();

 private:
  double wall() const;
  void draw(const RunStatus& st, double wall_s);

  MonitorOptions opt_;
  std::ostream& err_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_s_ = 0;
  bool drawn_ = false;
};

// The process's resident set now, from /proc/self/statm (0 if unreadable).
double resident_mb();
// The default memory budget: 80% of the machine's physical memory, so that
// a run stops with its report before the kernel's OOM killer stops it.
double default_memory_budget_mb();

}  // namespace forksim
