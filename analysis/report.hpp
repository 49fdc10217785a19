// The JSON report and the human summary, from the probes of one run.
//
// The report's keys are an interface other tools read: add keys freely,
// never rename or drop one without raising kSchemaVersion.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analysis/probes.hpp"

namespace forksim {

constexpr int kSchemaVersion = 1;
extern const char* const kForksimVersion;

struct RunInfo {
  nlohmann::json scenario;   // resolved, every default filled in
  uint64_t seed = 0;
  double sim_time_s = 0;     // duration_s, or the time reached where a run stopped early
  double wall_time_s = 0;
};

nlohmann::json make_report(const RunInfo& info, const Probes& p);

// A short summary for a person: throughput, latency percentiles, the most
// contended locks, backoff and memory when they played a part. Reads only
// the report, so what the summary says is what the report says.
void print_summary(std::ostream& out, const nlohmann::json& report);

}  // namespace forksim
