// The JSON report and the human summary, from the probes of one run.
//
// The report's keys are an interface other tools read: add keys freely,
// never rename or drop one, or change what it means, without raising
// kSchemaVersion. 2: locks.<name>.utilization is per instance (the mean over
// a per-process lock's instances, no longer their sum); requests.wait_s
// counts the requests taken in the window (was: arrived in it). 3: latency
// percentiles are interpolated within their bucket, every latency object
// has p999 (the service's p99_9 is gone), a 95% interval per percentile
// ("ci"), and a percentile too few samples can state is absent (named in
// "too_few_samples"); the report has "warmup".
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analysis/probes.hpp"

namespace forksim {

constexpr int kSchemaVersion = 3;

// The percentiles of every latency object: report key and quantile.
struct Percentile {
  const char* key;
  double q;
};
inline constexpr Percentile kPercentiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
extern const char* const kForksimVersion;

struct RunInfo {
  nlohmann::json scenario;   // resolved, every default filled in
  uint64_t seed = 0;
  double sim_time_s = 0;     // duration_s, or the time reached where a run stopped early
  double wall_time_s = 0;
  // The report's "manifest" (cli/manifest.hpp), given by the caller, which
  // knows the versions and the command line; none when null.
  nlohmann::json manifest;
  // The report's "warmup": how the window's start was chosen. Null gives
  // {"requested": scenario.warmup_s}, a warm-up the scenario stated.
  nlohmann::json warmup;
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
