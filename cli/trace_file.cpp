#include "cli/trace_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/options.hpp"
#include "scenarios/json_text.hpp"

namespace po = boost::program_options;

namespace forksim {
namespace {

// A whole number of the text, or nothing.
bool parse_count(const std::string& text, uint64_t* n) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  *n = std::strtoull(text.c_str(), nullptr, 10);
  return errno == 0;
}

bool parse_seconds(const std::string& text, double* x) {
  char* end = nullptr;
  *x = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(*x);
}

// OutputFile names -o in its messages; here the file is --trace's.
OutputFile trace_output(const std::string& path) {
  try {
    OutputFile f(path);
    if (f.is_stdout())
      throw Usage("--trace " + printable(path) + ": the trace must go to a file "
                  "(standard output takes the summary or the report)");
    return f;
  } catch (const OutputError& e) {
    std::string msg = e.what();
    if (msg.rfind("-o ", 0) == 0) msg = "--trace " + msg.substr(3);
    throw OutputError(msg);
  }
}

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

// ts in microseconds, to the nanosecond.
std::string micros(double s) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3f", s * 1e6);
  return buf;
}

// Each track's pid and tid in the file, and its names.
struct TrackLabel {
  long pid = 0;
  long tid = 0;
  std::string process, thread, who;  // who: a burst's name for this thread
};

std::vector<TrackLabel> label_tracks(const std::vector<TraceTrack>& tracks) {
  std::vector<TrackLabel> out;
  std::map<uint64_t, long> pid_of_life;
  std::map<int, int> lives_of_pid;  // lifetimes of each pid met so far
  for (const TraceTrack& t : tracks) {
    TrackLabel l;
    switch (t.kind) {
      case TraceTrack::Kind::Cpu:
        l.pid = 0;
        l.tid = t.cpu + 1;
        l.process = "CPUs";
        l.thread = "CPU " + std::to_string(t.cpu);
        break;
      case TraceTrack::Kind::Kernel:
        l.pid = kTraceLaterProcessPid;
        l.tid = t.thread_id;
        l.process = "kernel threads";
        l.thread = l.who = "kthread " + std::to_string(t.thread_id);
        break;
      case TraceTrack::Kind::Process: {
        auto [it, added] = pid_of_life.try_emplace(t.life, 0);
        int later = 0;
        if (added) {
          later = lives_of_pid[t.pid]++;
          it->second = t.pid + static_cast<long>(kTraceLaterProcessPid) * later;
        } else {
          later = static_cast<int>((it->second - t.pid) / kTraceLaterProcessPid);
        }
        l.pid = it->second;
        l.tid = t.lwp;
        l.process = "pid " + std::to_string(t.pid);
        if (t.parent_pid >= 0) l.process += " (child of " + std::to_string(t.parent_pid) + ")";
        if (later > 0) l.process += " #" + std::to_string(later + 1);
        l.thread = "lwp " + std::to_string(t.lwp);
        l.who = "pid " + std::to_string(t.pid) + " lwp " + std::to_string(t.lwp);
        break;
      }
    }
    out.push_back(l);
  }
  return out;
}

const char* category(SliceKind k) {
  switch (k) {
    case SliceKind::Burst: return "cpu";
    case SliceKind::Runnable:
    case SliceKind::Sleep:
    case SliceKind::Turnstile: return "sched";
    case SliceKind::LockWait:
    case SliceKind::LockHold: return "lock";
    case SliceKind::Fork: return "fork";
  }
  return "?";
}

std::string slice_name(const TraceSlice& s, const std::vector<TrackLabel>& labels,
                       const std::vector<LockSiteName>& sites) {
  switch (s.kind) {
    case SliceKind::Burst: return labels[s.thread].who;
    case SliceKind::LockWait: return std::string("wait ") + s.name;
    case SliceKind::LockHold:
      return std::string(s.name) + " @ " +
             (s.site < sites.size() && !sites[s.site].name.empty() ? sites[s.site].name
                                                                   : "site " + std::to_string(s.site));
    default: return s.name ? s.name : "?";
  }
}

std::string slice_args(const TraceEvent& e, const std::vector<TraceTrack>& tracks,
                       const std::vector<LockSiteName>& sites) {
  nlohmann::json a = nlohmann::json::object();
  const TraceSlice& s = e.slice;
  if (s.kind == SliceKind::Burst) {
    const TraceTrack& t = tracks[s.thread];
    if (t.kind == TraceTrack::Kind::Process) {
      a["pid"] = t.pid;
      a["lwp"] = t.lwp;
    } else {
      a["kthread"] = t.thread_id;
    }
  }
  if (s.kind == SliceKind::LockHold && s.site < sites.size()) a["lines"] = sites[s.site].lines;
  if (e.resumed) a["continued"] = true;
  return a.empty() ? "" : ",\"args\":" + a.dump();
}

}  // namespace

std::pair<double, double> parse_trace_window(const std::string& text, double duration_s) {
  const size_t colon = text.find(':');
  double a = 0, b = 0;
  if (colon == std::string::npos || !parse_seconds(text.substr(0, colon), &a) ||
      !parse_seconds(text.substr(colon + 1), &b))
    throw Usage("--trace-window must be START:END in seconds of simulated time (e.g. 1:1.01), got '" +
                printable(text) + "'");
  const std::string w = "--trace-window " + printable(text) + ": ";
  if (a < 0) throw Usage(w + "the start must be >= 0");
  if (b <= a) throw Usage(w + "the end must be after the start");
  if (b > duration_s) {
    char d[32];
    std::snprintf(d, sizeof d, "%.10g", duration_s);
    throw Usage(w + "outside the run, which ends at duration_s = " + d + " s");
  }
  return {a, b};
}

std::optional<TraceRequest> trace_request(const po::variables_map& vm, const Scenario& s) {
  if (!vm.count("trace")) {
    for (const char* o : {"trace-window", "trace-max-events"})
      if (vm.count(o)) throw Usage(std::string("--") + o + " needs --trace FILE");
    return std::nullopt;
  }
  // The window and the cap first: a bad one is refused before any file is touched.
  std::optional<std::pair<double, double>> window;
  if (vm.count("trace-window"))
    window = parse_trace_window(vm["trace-window"].as<std::string>(), s.duration_s);
  uint64_t cap = kDefaultTraceMaxEvents;
  if (vm.count("trace-max-events")) {
    const std::string& text = vm["trace-max-events"].as<std::string>();
    if (!parse_count(text, &cap) || cap < 1)
      throw Usage("--trace-max-events must be a whole number >= 1, got '" + printable(text) + "'");
  }
  const std::string path = vm["trace"].as<std::string>();
  if (vm.count("output")) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto where = [&ec](const std::string& p) { return fs::weakly_canonical(fs::absolute(p, ec), ec); };
    if (where(path) == where(vm["output"].as<std::string>()))
      throw Usage("--trace " + printable(path) + ": the same file as -o's report");
  }
  return TraceRequest{trace_output(path), window, cap};
}

TraceOptions trace_options(const TraceRequest& r, const Scenario& s) {
  TraceOptions o;
  o.max_events = r.max_events;
  if (r.window) {
    o.from_s = r.window->first;
    o.to_s = r.window->second;
  } else {
    o.from_s = std::min(s.warmup_s, s.duration_s);
    o.to_s = std::min(s.warmup_s + kDefaultTraceSpanS, s.duration_s);
  }
  return o;
}

std::string trace_json(const Trace& t, const std::vector<LockSiteName>& sites,
                       const TraceFileInfo& info) {
  const std::vector<TraceTrack>& tracks = t.tracks();
  const std::vector<TrackLabel> labels = label_tracks(tracks);
  std::string out;
  out.reserve(t.events().size() * 110 + tracks.size() * 160 + 1024);
  out += "{\"traceEvents\":[\n";
  bool first = true;
  auto open_event = [&](const char* ph, const std::string& ts, long pid, long tid) {
    if (!first) out += ",\n";
    first = false;
    out += "{\"ph\":\"";
    out += ph;
    out += "\",\"ts\":" + ts + ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
  };
  auto meta = [&](const char* what, long pid, long tid, const std::string& args) {
    open_event("M", "0", pid, tid);
    out += std::string(",\"name\":\"") + what + "\",\"args\":" + args + "}";
  };
  // Names first: one process_name per process, one thread_name per track.
  std::map<long, bool> named;
  for (const TrackLabel& l : labels) {
    if (!named[l.pid]) {
      named[l.pid] = true;
      meta("process_name", l.pid, 0, "{\"name\":" + quoted(l.process) + "}");
      if (l.pid == 0) meta("process_sort_index", 0, 0, "{\"sort_index\":-1}");  // CPUs on top
    }
    meta("thread_name", l.pid, l.tid, "{\"name\":" + quoted(l.thread) + "}");
  }
  for (const TraceEvent& e : t.events()) {
    const TrackLabel& l = labels[e.track];
    const char ph[2] = {e.ph, 0};
    open_event(ph, micros(e.ts_s), l.pid, l.tid);
    switch (e.ph) {
      case 'B':
        out += ",\"name\":" + quoted(slice_name(e.slice, labels, sites)) + ",\"cat\":\"" +
               category(e.slice.kind) + "\"" + slice_args(e, tracks, sites);
        break;
      case 'E':
        if (e.aux > 0) {
          const ForkOutcome& r = t.forks()[e.aux - 1];
          nlohmann::json a = {{"result", r.err}, {"reason", r.reason}};
          if (r.child_pid >= 0) a["child_pid"] = r.child_pid;
          out += ",\"args\":" + a.dump();
        }
        break;
      case 's':
        out += ",\"name\":\"fork\",\"cat\":\"fork\",\"id\":" + std::to_string(e.aux);
        break;
      case 'f':
        out += ",\"name\":\"fork\",\"cat\":\"fork\",\"id\":" + std::to_string(e.aux) + ",\"bp\":\"e\"";
        break;
    }
    out += "}";
  }
  const TraceOptions& o = t.options();
  nlohmann::json other = {
      {"generator", "forksim run --trace"},
      {"time", "ts: microseconds of simulated time"},
      {"seed", info.seed},
      {"warmup_s", info.warmup_s},
      {"duration_s", info.duration_s},
      {"run_complete", info.run_complete},
      {"window_us", {std::round(o.from_s * 1e9) / 1e3, std::round(o.to_s * 1e9) / 1e3}},
      {"max_events", o.max_events},
      {"events", t.events().size()},
      {"tracks", tracks.size()},
      {"truncated", t.truncated()},
      {"pids", "a process's simulated pid; a pid met again for a later process: pid + 1000000 k "
               "for its k-th; kernel threads: 1000000"},
  };
  if (t.truncated()) {
    other["events_dropped"] = t.events_dropped();
    other["cut_at_us"] = std::round(t.cut_s() * 1e9) / 1e3;
  }
  out += "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":" + other.dump() + "\n}\n";
  return out;
}

void write_trace(const TraceRequest& r, Trace& t, const Probes& p, const TraceFileInfo& info,
                 std::ostream& err) {
  t.finish(p.sim_time_s);
  // A file, never standard output (trace_request refuses it): no stream to give.
  std::ostringstream unused;
  r.file.write(trace_json(t, p.lock_sites, info), unused);
  if (t.truncated()) {
    char at[32];
    std::snprintf(at, sizeof at, "%.9g", t.cut_s());
    err << "forksim: the trace reached --trace-max-events (" << r.max_events << ") at t = " << at
        << " s of simulated time: about " << t.events_dropped()
        << " later events of its window were dropped (the file says so in otherData)\n";
  }
}

}  // namespace forksim
