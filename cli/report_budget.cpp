#include "cli/report_budget.hpp"

#include <cmath>
#include <sstream>

#include "scenarios/workload.hpp"

namespace forksim {

uint64_t timeseries_samples(const Scenario& s) {
  // The sampler's rule: t = i * period for every t <= duration_s.
  double n = std::floor(s.duration_s / s.timeseries_s) + 1;
  return n >= 0x1p63 ? UINT64_MAX : static_cast<uint64_t>(n);
}

double timeseries_bytes_per_sample(const Scenario& s) {
  double columns = 0;
  for (const Workload* w : s.workloads()) columns += static_cast<double>(latency_series(*w).size());
  return kBytesPerSample + columns * kBytesPerGroupColumn;
}

void check_report_fits(const Scenario& s, double budget_mb) {
  if (budget_mb <= 0) return;
  const double per_sample = timeseries_bytes_per_sample(s);
  const double allowed = kReportShareOfBudget * budget_mb * 1024 * 1024 / per_sample;
  const uint64_t n = timeseries_samples(s);
  if (static_cast<double>(n) <= allowed) return;
  std::ostringstream why;
  why.precision(3);
  why << "asks for " << static_cast<double>(n) << " samples over duration_s "
      << s.duration_s << ", about " << static_cast<double>(n) * per_sample / (1024 * 1024)
      << " MB of report; the memory budget (" << budget_mb << " MB, --max-memory-mb) holds "
      << allowed << ": make timeseries_s at least " << s.duration_s / std::floor(allowed - 1);
  throw ScenarioError("timeseries_s", why.str());
}

}  // namespace forksim
