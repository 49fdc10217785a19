#include "analysis/lockstat.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <vector>

#include "analysis/compare.hpp"

namespace forksim {

using nlohmann::json;

namespace {

// lockstat's event types that the model records, with the keys of
// locks.<name>.callers.<caller> holding each one's count and time.
struct EventType {
  const char* title;
  const char* count_key;
  const char* time_key;
};
constexpr EventType kSpin{"Adaptive mutex spin", "spin_events", "spin_s"};
constexpr EventType kBlock{"Adaptive mutex block", "block_events", "block_s"};
constexpr EventType kHold{"Adaptive mutex hold", "hold_events", "hold_s"};

// One lockstat record: a (lock, caller) pair's events of one type.
struct Row {
  uint64_t count;
  double time_s;
  std::string lock;
  std::string caller;
};

// A line printf-formatted, as lockstat.c writes it.
template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// lockstat pads its last column to 24 characters; the padding is dropped,
// which changes nothing a reader sees and keeps lines free of trailing
// blanks.
std::string trimmed(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// j[key], `where` naming j ("" for the report itself).
const json& member(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw LockstatError((where.empty() ? "" : where + ".") + key + ": missing" +
                        (std::string(key) == "callers"
                             ? " (per-caller lock figures: the report is older than them)"
                             : ""));
  return j[key];
}

// The caller as lockstat would name a function, with the seed lines: bare
// line numbers are fork.c's; other files are named in the catalogue.
std::string caller_name(const std::string& step, const std::string& lines) {
  if (lines.empty()) return step;
  const bool fork_c = lines[0] >= '0' && lines[0] <= '9';
  return step + " (" + (fork_c ? "fork.c " : "") + lines + ")";
}

std::vector<Row> rows_of(const json& locks, const EventType& ev) {
  std::vector<Row> rows;
  for (const auto& [lock, figures] : locks.items()) {
    const std::string where = "locks." + lock;
    const json& callers = member(figures, "callers", where);
    if (!callers.is_object()) throw LockstatError(where + ".callers: not an object");
    for (const auto& [caller, c] : callers.items()) {
      const std::string at = where + ".callers." + caller;
      const json& n = member(c, ev.count_key, at);
      const json& t = member(c, ev.time_key, at);
      const json& lines = member(c, "lines", at);
      if (!n.is_number_integer() || (!n.is_number_unsigned() && n.get<int64_t>() < 0)) throw LockstatError(at + "." + ev.count_key + ": not a count");
      if (!t.is_number() || !(t.get<double>() >= 0))
        throw LockstatError(at + "." + ev.time_key + ": not a time >= 0");
      if (!lines.is_string()) throw LockstatError(at + ".lines: not a string");
      if (n.get<uint64_t>() == 0) continue;
      rows.push_back({n.get<uint64_t>(), t.get<double>(), lock,
                      caller_name(caller, lines.get<std::string>())});
    }
  }
  // By count, as lockstat sorts; ties in a fixed order, for the same text
  // from the same report.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.lock != b.lock) return a.lock < b.lock;
    return a.caller < b.caller;
  });
  return rows;
}

const char* const kRule =
    "-------------------------------------------------------------------------------\n";

// report_stats for one event type: percentages over all of its events,
// whether shown or cut by `top`.
std::string section(const EventType& ev, const std::vector<Row>& rows, double window_s,
                    const LockstatOptions& o) {
  uint64_t total = 0;
  for (const Row& r : rows) total += r.count;
  const double n = static_cast<double>(total);
  std::string s = format("\n%s: %.0f events in %.3f seconds (%.0f events/sec)\n", ev.title, n,
                         window_s, window_s > 0 ? n / window_s : 0.0);
  if (rows.empty()) return s;
  s += "\n";
  s += trimmed(format("%5s %4s %4s %4s %8s %-22s %-24s", "Count", "indv", "cuml", "rcnt", "nsec",
                      "Lock", "Caller"));
  s += "\n";
  s += kRule;
  double cuml = 0;
  const std::size_t shown = std::min(rows.size(), o.top.value_or(rows.size()));
  for (std::size_t i = 0; i < shown; ++i) {
    const Row& r = rows[i];
    const double percent = static_cast<double>(r.count) * 100.0 / n;
    cuml += percent;
    // The mean event in whole nanoseconds, as lockstat divides its
    // nanosecond total by the count.
    const auto total_ns = static_cast<uint64_t>(std::llround(r.time_s * 1e9));
    const std::string nsec = std::to_string(total_ns / r.count);
    s += trimmed(format("%5" PRIu64 " %3.0f%% %3.0f%% %4.2f %8s %-22s %-24s", r.count, percent,
                        cuml, 1.0, nsec.c_str(), r.lock.c_str(), r.caller.c_str()));
    s += "\n";
  }
  return s + kRule;
}

const char* const kNote =
    "\n"
    "Lock: a lock by name, its instances together (lockstat lists each instance of a\n"
    "per-process lock such as p_lock by address). Caller: the model's step, with the\n"
    "seed lines it stands for. nsec: the mean event's time (spin: on CPU spinning;\n"
    "block: asleep on the turnstile until back on a CPU; hold: from acquisition to\n"
    "release). rcnt: 1.00, as for every exclusive lock.\n";

}  // namespace

std::string lockstat_text(const json& run_report, const LockstatOptions& o) {
  if (o.top && *o.top == 0) throw LockstatError("top: must be at least 1");
  const json& length = member(member(run_report, "window", ""), "length_s", "window");
  if (!length.is_number() || !(length.get<double>() >= 0))
    throw LockstatError("window.length_s: not a time >= 0");
  const json& locks = member(run_report, "locks", "");
  if (!locks.is_object()) throw LockstatError("locks: not an object");
  const double window_s = length.get<double>();
  std::string s;
  for (const EventType* ev : {&kSpin, &kBlock}) s += section(*ev, rows_of(locks, *ev), window_s, o);
  if (o.hold) s += section(kHold, rows_of(locks, kHold), window_s, o);
  return s + kNote;
}

const json& lockstat_run(const json& result, std::size_t run, std::size_t point) {
  std::string kind;
  try {
    kind = result_kind(result);
  } catch (const CompareError& e) {
    throw LockstatError(e.what());
  }
  auto at = [](const json& array, std::size_t i, const std::string& name) -> const json& {
    if (i >= array.size())
      throw LockstatError(name + "[" + std::to_string(i) + "]: out of range (it has " +
                          std::to_string(array.size()) + ")");
    return array[i];
  };
  if (kind == "run") {
    if (run != 0 || point != 0) throw LockstatError("a run report has one run and no points");
    return result;
  }
  if (kind == "replicated") {
    if (point != 0) throw LockstatError("a replicated result has no points");
    return at(result["runs"], run, "runs");
  }
  const json& p = at(result["points"], point, "points");
  return at(p["runs"], run, "points[" + std::to_string(point) + "].runs");
}

}  // namespace forksim
