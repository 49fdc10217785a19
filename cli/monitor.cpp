#include "cli/monitor.hpp"

#include "cli/interrupt.hpp"

#include <cstdio>
#include <iomanip>
#include <sstream>
#include <unistd.h>

namespace forksim {

double resident_mb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<double>(resident) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

double default_memory_budget_mb() {
  double bytes = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  return 0.8 * bytes / (1024.0 * 1024.0);
}

RunMonitor::RunMonitor(const MonitorOptions& opt, std::ostream& err)
    : opt_(opt), err_(err), start_(std::chrono::steady_clock::now()) {}

double RunMonitor::wall() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string RunMonitor::operator()(const RunStatus& st) {
  double w = wall();
  std::ostringstream why;
  why << std::fixed << std::setprecision(1);
  if (int sig = interrupt_signal()) {
    why << interrupt_reason(sig) << " at simulated " << st.sim_time_s << " s";
  } else if (opt_.max_wall_s > 0 && w > opt_.max_wall_s) {
    why << "wall time " << w << " s passed --max-wall-s " << opt_.max_wall_s << " at simulated "
        << st.sim_time_s << " s";
  } else if (opt_.max_memory_mb > 0) {
    double rss = resident_mb();
    if (rss > opt_.max_memory_mb)
      why << "resident memory " << rss << " MB passed --max-memory-mb " << opt_.max_memory_mb
          << " at simulated " << st.sim_time_s << " s";
  }
  // Quiet for the first seconds: most runs are over by then.
  if (opt_.progress && w > 2 && w - last_draw_s_ >= 1) draw(st, w);
  return why.str();
}

void RunMonitor::draw(const RunStatus& st, double w) {
  last_draw_s_ = w;
  double done = st.duration_s > 0 ? st.sim_time_s / st.duration_s : 1;
  double eta = done > 0 ? w * (1 - done) / done : 0;
  err_ << "\rforksim: simulated " << std::fixed << std::setprecision(1) << st.sim_time_s << " of "
       << st.duration_s << " s, wall " << w << " s, " << std::setprecision(2)
       << st.events / w / 1e6 << "M events/s, nproc " << st.nproc << ", ETA "
       << std::setprecision(0) << eta << " s   " << std::flush;
  drawn_ = true;
}

void RunMonitor::finish() {
  if (drawn_) err_ << "\n";
  drawn_ = false;
}

}  // namespace forksim
