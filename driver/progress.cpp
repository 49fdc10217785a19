#include "driver/progress.hpp"

#include <cmath>
#include <cstdio>

namespace forksim {

namespace {

std::string seconds(double s) {
  char b[32];
  if (s < 100) std::snprintf(b, sizeof b, "%.0f s", s);
  else if (s < 6000) std::snprintf(b, sizeof b, "%.0f min", s / 60);
  else std::snprintf(b, sizeof b, "%.1f h", s / 3600);
  return b;
}

std::string percent(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * x);
  return b;
}

}  // namespace

std::string progress_line(const Progress& p) {
  std::string s = "runs " + std::to_string(p.runs_done) + "/" + std::to_string(p.runs_planned);
  if (p.points > 1) s += ", points " + std::to_string(p.points_done) + "/" + std::to_string(p.points);
  if (p.target > 0)
    s += ", half-width " + (p.rel_half_width >= 0 ? percent(p.rel_half_width) : std::string("n/a")) +
         " (target " + percent(p.target) + ")";
  s += ", " + seconds(p.elapsed_s);
  if (p.runs_done > 0 && p.runs_planned > p.runs_done)
    s += ", ETA " + seconds(p.elapsed_s / p.runs_done * (p.runs_planned - p.runs_done));
  return s;
}

}  // namespace forksim
