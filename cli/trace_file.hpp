// `forksim run --trace FILE [--trace-window A:B] [--trace-max-events N]`:
// the run's timeline (sim/trace.hpp) as a Chrome trace-event JSON file,
// which ui.perfetto.dev and chrome://tracing open as it is.
//
// The file is the format's object form: {"traceEvents": [...],
// "displayTimeUnit": "ns", "otherData": {...}}; ts in microseconds of
// simulated time, to the nanosecond. Slices are B/E pairs in time order,
// flows s/f pairs (the s bound to the fork's enclosing slice, the f with
// "bp": "e" to the child's first burst), tracks named by M events:
// - pid 0 "CPUs", tid c + 1 "CPU c": each burst named by its thread;
// - a process: pid = its simulated pid, tid = its LWP number. A pid seen
//   again in the trace for a later process (pids are reused) is
//   pid + 1,000,000 k for its k-th later process, so that each track is one
//   process lifetime;
// - kernel threads (the thread reaper): pid 1,000,000, tid = thread id.
// otherData: the window, the cap, the number of events, and when the cap
// cut the trace "truncated": true, "events_dropped" and "cut_at_us".
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/probes.hpp"
#include "cli/output_file.hpp"
#include "scenarios/scenario.hpp"
#include "sim/trace.hpp"

namespace forksim {

constexpr uint64_t kDefaultTraceMaxEvents = TraceOptions{}.max_events;
constexpr double kDefaultTraceSpanS = 0.010;  // the default window: this long after the warm-up
constexpr int kTraceLaterProcessPid = 1000000;

struct TraceRequest {
  OutputFile file;
  std::optional<std::pair<double, double>> window;  // seconds of simulated time
  uint64_t max_events = kDefaultTraceMaxEvents;
};

// The --trace options of `run` checked against the scenario, before the run
// (a bad file, window or cap: Usage or OutputError, naming the option).
// Empty without --trace.
std::optional<TraceRequest> trace_request(const boost::program_options::variables_map& vm,
                                          const Scenario& s);

// --trace-window's text "A:B" read and checked against a run of duration_s.
std::pair<double, double> parse_trace_window(const std::string& text, double duration_s);

// The recorder's bounds: the window asked for, or [warmup_s, warmup_s +
// 10 ms] cut at the run's end (s resolved: an "auto" warm-up chosen).
TraceOptions trace_options(const TraceRequest& r, const Scenario& s);

struct TraceFileInfo {
  uint64_t seed = 0;
  double warmup_s = 0;
  double duration_s = 0;
  bool run_complete = true;
};

// The file's text, from a finished trace; `sites` names the lock holds'
// callers (Probes::lock_sites).
std::string trace_json(const Trace& t, const std::vector<LockSiteName>& sites,
                       const TraceFileInfo& info);

// Finishes t at the run's end, writes the file (OutputError if it cannot),
// and says on err when the cap cut it.
void write_trace(const TraceRequest& r, Trace& t, const Probes& p, const TraceFileInfo& info,
                 std::ostream& err);

}  // namespace forksim
