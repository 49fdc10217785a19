// Watches a run from outside the model: progress on stderr, the budgets
// (--max-wall-s, --max-memory-mb) that stop a run cleanly, with a partial
// report, before the machine kills it, and SIGINT/SIGTERM (cli/interrupt.hpp),
// which stop it the same way. The run calls it at a bounded interval of
// work in every phase (RunOptions::monitor).
#pragma once
#include <chrono>
#include <ostream>
#include <string>

#include "cli/memory_limits.hpp"
#include "scenarios/workload.hpp"

namespace forksim {

struct MonitorOptions {
  double max_wall_s = 0;     // 0: no limit
  double max_memory_mb = 0;  // resident set; 0: no limit
  std::string memory_budget_from = "--max-memory-mb";  // where it came from, for the message
  // Address space (RLIMIT_AS counts it, not the resident set): a run stops
  // past this, since the next allocation may fail. 0: no limit.
  double max_virtual_mb = 0;
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
  std::string memory_check(const RunStatus& st);

  MonitorOptions opt_;
  std::ostream& err_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_s_ = 0;
  double last_memory_check_s_ = -1;
  bool drawn_ = false;
};

// The default memory budget: 80% of the smallest of physical memory, the
// memory cgroup's limit and RLIMIT_AS, so that a run stops with its report
// before the OOM killer or a failed allocation stops it.
double default_memory_budget_mb(const MemoryLimits& l);
// The address-space guard: 90% of RLIMIT_AS, or 0 when it is unlimited.
double default_virtual_budget_mb(const MemoryLimits& l);

}  // namespace forksim
