// The JSON report and the human summary, from the probes of one run.
//
// The report's keys are an interface other tools read: add keys freely,
// never rename or drop one, or change what it means, without raising
// kSchemaVersion. 2: locks.<name>.utilization is per instance (the mean over
// a per-process lock's instances, no longer their sum); requests.wait_s
// counts the requests taken in the window (was: arrived in it).
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analysis/probes.hpp"

namespace forksim {

constexpr int kSchemaVersion = 2;
extern const char* const kForksimVersion;

struct RunInfo {
  nlohmann::json scenario;   // resolved, every default filled in
  uint64_t seed = 0;
  double sim_time_s = 0;     // duration_s, or the time reached where a run stopped early
  double wall_time_s = 0;
  // The report's "manifest" (cli/manifest.hpp), given by the caller, which
  // knows the versions and the command line; none when null.
  nlohmann::json manifest;
};

nlohmann::json make_report(const RunInfo& info, const Probes& p);

// The open workload's overload rule (requests.overloaded), from the window's
// counts: served fell short of offered by more than three standard
// deviations of the Poisson arrival count, and the request queue grew.
bool overloaded(double offered, double served, double queue_start, double queue_end);

// A short summary for a person: throughput, latency percentiles, the most
// contended locks, backoff and memory when they played a part. Reads only
// the report, so what the summary says is what the report says.
void print_summary(std::ostream& out, const nlohmann::json& report);

}  // namespace forksim
