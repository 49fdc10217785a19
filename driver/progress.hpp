// The progress line of a replicated run or a sweep: runs done against the
// current estimate of runs needed, points decided, the precision metric's
// relative half-width against its target, and an ETA from the pace so far.
#pragma once
#include <string>

#include "driver/experiment.hpp"

namespace forksim {

// "runs 7/12, points 3/40, half-width 3.1% (target 2.0%), 12 s, ETA 8 s".
std::string progress_line(const Progress& p);

}  // namespace forksim
