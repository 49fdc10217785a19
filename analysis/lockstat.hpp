// A run's lock statistics as illumos lockstat(8) prints them by default
// (usr/src/cmd/lockstat/lockstat.c, report_stats): one section per event
// type, "Adaptive mutex spin: N events in T seconds (R events/sec)", then
// rows of Count, indv, cuml, rcnt, nsec, Lock, Caller sorted by count, in
// lockstat's column widths. Read from a run report's locks.<name>.callers,
// nothing else; T is the measurement window.
//
// Where the simulation differs from a kernel's records, the text says so in
// a note under the sections: Lock is a lock's name with all its instances
// together (lockstat lists each instance of a per-process lock by address),
// Caller is the model's step with the fork.c lines it stands for. rcnt is
// lockstat's mean reference count, 1.00 for an exclusive lock such as an
// adaptive mutex (lockstat(8)), which every row here is. A section without
// events prints its title line with 0 events and no table (lockstat omits
// it; a line that says "none" reads better than a missing section).
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace forksim {

// A result lockstat cannot read; the message names the key at fault.
struct LockstatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct LockstatOptions {
  bool hold = false;               // add the "Adaptive mutex hold" section (lockstat -H)
  std::optional<std::size_t> top;  // only the first N rows of each section (-D N); N >= 1
};

// The text, lines ending in "\n". Throws LockstatError for a report
// without per-caller lock figures (made before they existed) or with a
// malformed one.
std::string lockstat_text(const nlohmann::json& run_report, const LockstatOptions& options);

// The run report in a result that lockstat_text reads: the result itself
// when it is a run report, runs[run] of a replicated result, and
// points[point].runs[run] of a sweep. Throws LockstatError naming the
// index out of range, or why the result is none of these.
const nlohmann::json& lockstat_run(const nlohmann::json& result, std::size_t run = 0,
                                   std::size_t point = 0);

}  // namespace forksim
