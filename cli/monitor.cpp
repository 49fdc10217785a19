#include "cli/monitor.hpp"

#include "cli/interrupt.hpp"

#include <iomanip>
#include <sstream>

namespace forksim {

namespace {
// Reading /proc/self/statm costs microseconds, a thousand engine events:
// memory is looked at every 20 ms of wall time, in which a run can grow by
// a few tens of MB at most (an open workload's queue at a billion arrivals
// per second grows about 400 MB/s).
constexpr double kMemoryCheckEvery_s = 0.02;
}  // namespace

double default_memory_budget_mb(const MemoryLimits& l) { return 0.8 * l.smallest_mb(); }

double default_virtual_budget_mb(const MemoryLimits& l) { return 0.9 * l.rlimit_as_mb; }

RunMonitor::RunMonitor(const MonitorOptions& opt, std::ostream& err)
    : opt_(opt), err_(err), start_(std::chrono::steady_clock::now()) {}

double RunMonitor::wall() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string RunMonitor::memory_check(const RunStatus& st) {
  if (opt_.max_memory_mb <= 0 && opt_.max_virtual_mb <= 0) return "";
  MemoryUse u = memory_use();
  std::ostringstream why;
  why << std::fixed << std::setprecision(1);
  if (opt_.max_memory_mb > 0 && u.resident_mb > opt_.max_memory_mb)
    why << "resident memory " << u.resident_mb << " MB passed the memory budget of "
        << opt_.max_memory_mb << " MB (" << opt_.memory_budget_from << ")";
  else if (opt_.max_virtual_mb > 0 && u.virtual_mb > opt_.max_virtual_mb)
    why << "address space " << u.virtual_mb << " MB passed 90% of RLIMIT_AS ("
        << opt_.max_virtual_mb << " MB)";
  else
    return "";
  why << " in the " << st.phase << " at simulated " << st.sim_time_s << " s";
  return why.str();
}

std::string RunMonitor::operator()(const RunStatus& st) {
  double w = wall();
  if (int sig = interrupt_signal()) {
    std::ostringstream why;
    why << std::fixed << std::setprecision(1) << interrupt_reason(sig) << " in the " << st.phase
        << " at simulated " << st.sim_time_s << " s";
    return why.str();
  }
  if (opt_.max_wall_s > 0 && w > opt_.max_wall_s) {
    std::ostringstream why;
    why << std::fixed << std::setprecision(1) << "wall time " << w << " s passed --max-wall-s "
        << opt_.max_wall_s << " in the " << st.phase << " at simulated " << st.sim_time_s << " s";
    return why.str();
  }
  if (w - last_memory_check_s_ >= kMemoryCheckEvery_s) {
    last_memory_check_s_ = w;
    if (std::string why = memory_check(st); !why.empty()) return why;
  }
  // Quiet for the first seconds: most runs are over by then.
  if (opt_.progress && w > 2 && w - last_draw_s_ >= 1) draw(st, w);
  return "";
}

void RunMonitor::draw(const RunStatus& st, double w) {
  last_draw_s_ = w;
  double done = st.duration_s > 0 ? st.sim_time_s / st.duration_s : 1;
  double eta = done > 0 ? w * (1 - done) / done : 0;
  err_ << "\rforksim: " << st.phase << ", simulated " << std::fixed << std::setprecision(1)
       << st.sim_time_s << " of " << st.duration_s << " s, wall " << w << " s, "
       << std::setprecision(2) << st.events / w / 1e6 << "M events/s, nproc " << st.nproc;
  // In the drain the run's duration is behind: no estimate of the rest.
  if (std::string(st.phase) == "run") err_ << ", ETA " << std::setprecision(0) << eta << " s";
  err_ << "   " << std::flush;
  drawn_ = true;
}

void RunMonitor::finish() {
  if (drawn_) err_ << "\n";
  drawn_ = false;
}

}  // namespace forksim
