// print_summary: the report, for a person, in about fifteen lines.
//
// It reads only the report JSON, so it can be run on a saved report and
// says nothing the report does not. Wall time is left out on purpose: the
// summary of a seeded run is then identical from run to run and diffable.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <locale>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/order_statistics.hpp"
#include "analysis/report.hpp"

namespace forksim {

using nlohmann::json;

namespace {

// Formatting goes through a stream with the classic locale so that the
// caller's locale cannot add digit grouping or change the decimal point.
std::string fixed(double v, int precision) {
  std::ostringstream o;
  o.imbue(std::locale::classic());
  o << std::fixed << std::setprecision(precision) << v;
  return o.str();
}

std::string percent(double fraction) { return fixed(100 * fraction, 1) + "%"; }

// One format for every latency (a time per event): microseconds up to
// 10 ms, milliseconds up to 10 s, seconds beyond.
std::string latency(double s) {
  if (s <= 0.01) return fixed(s * 1e6, 1) + " us";
  if (s <= 10) return fixed(s * 1e3, 2) + " ms";
  return fixed(s, 3) + " s";
}

// A sample's statistic, or "n/a" when nothing was sampled: 0.0 us would
// read as a measurement. A percentile the report left out for want of
// samples says so (`short_form` for a table's cell).
std::string latency_of(const json& lat, const char* key, bool short_form = false) {
  if (lat.at("count").get<uint64_t>() == 0) return "n/a";
  if (!lat.contains(key)) return short_form ? "too few" : "n/a (too few samples)";
  return latency(lat.at(key).get<double>());
}

// Rates and utilizations with at least three significant digits (0.03/s
// must not read 0.0/s, nor a lock busy 0.04% of the time 0.000), and one
// decimal at most above 100.
std::string significant(double v) {
  if (v <= 0) return fixed(v, 1);
  if (v < 1e-6) {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    o << std::scientific << std::setprecision(2) << v;
    return o.str();
  }
  int decimals = 2 - static_cast<int>(std::floor(std::log10(v)));
  return fixed(v, std::max(decimals, 1));
}

// Totals over the window (waiting, spinning, backing off) are seconds of a
// run that lasts seconds: always in seconds.
std::string total(double s) { return fixed(s, 3) + " s"; }

// Cells wider than their column keep one space from their neighbour, so
// that a number never runs into the next one (the row then shifts).
std::string right(const std::string& s, int width) {
  if (static_cast<int>(s.size()) >= width) return " " + s;
  std::ostringstream o;
  o << std::setw(width) << s;
  return o.str();
}

std::string left(const std::string& s, int width) {
  if (static_cast<int>(s.size()) >= width) return s + " ";
  std::ostringstream o;
  o << std::left << std::setw(width) << s;
  return o.str();
}

std::string count(const json& v) { return std::to_string(v.get<uint64_t>()); }

// {"EAGAIN": 12, "ENOMEM": 1} -> "EAGAIN 12 (mean 10.01 ms), ENOMEM 1 (mean
// 15.2 us)", each with how long its failed calls took; "none" when empty.
std::string failures_text(const json& path) {
  const json& failures = path.at("failures");
  const json no_latency = json::object();
  const json& latencies = path.contains("failure_latency_s") ? path["failure_latency_s"] : no_latency;
  std::string s;
  for (const auto& [name, n] : failures.items()) {
    if (!s.empty()) s += ", ";
    s += name + " " + count(n);
    if (latencies.contains(name)) s += " (mean " + latency_of(latencies[name], "mean") + ")";
  }
  return s.empty() ? "none" : s;
}

std::string scenario_name(const json& report) {
  const json& sc = report.at("scenario");
  if (sc.is_string()) return sc.get<std::string>();
  if (sc.is_object() && sc.contains("name")) return sc["name"].get<std::string>();
  return "(unnamed)";
}

// The label column every line starts with.
constexpr int kLabel = 12;

void print_header(std::ostream& o, const json& r) {
  const json& w = r.at("window");
  const json& t = r.at("throughput");
  o << left("scenario", kLabel) << scenario_name(r) << " (seed " << count(r.at("seed")) << ")\n";
  o << left("window", kLabel) << fixed(w.at("start_s").get<double>(), 3) << " s to "
    << fixed(w.at("end_s").get<double>(), 3) << " s (" << fixed(w.at("length_s").get<double>(), 3)
    << " s measured)\n";
  o << left("throughput", kLabel) << significant(t.at("forks_per_s").get<double>())
    << " forks/s (attempts " << significant(t.at("attempts_per_s").get<double>())
    << "/s, failures " << significant(t.at("failures_per_s").get<double>()) << "/s)\n";
}

void print_cpu(std::ostream& o, const json& r) {
  const json& c = r.at("cpu");
  o << left("cpu", kLabel) << percent(c.at("utilization").get<double>()) << " of "
    << c.at("ncpus").get<int>() << " CPUs busy, run-queue wait "
    << total(c.at("runq_wait_s").get<double>()) << ", " << count(c.at("dispatches"))
    << " dispatches\n";
}

// One row: name, attempts, successes, five latency columns, failures last
// because it is the only column of varying width.
void print_path_row(std::ostream& o, const std::string& name, const json& path) {
  const json& lat = path.at("latency_s");
  o << left(name, kLabel) << right(count(path.at("attempts")), 9)
    << right(count(path.at("successes")), 10);
  for (const char* key : {"mean", "p50", "p90", "p99", "max"})
    o << right(latency_of(lat, key, true), 10);
  o << "  " << failures_text(path) << "\n";
}

// The paths of `g` (the report, or one of its groups), then its admin
// probe's row if it has one; `indent` marks a group's rows. `workload` is
// g's spec, for the probe's interval.
void print_path_rows(std::ostream& o, const json& g, const json& workload,
                     const std::string& indent) {
  for (const auto& [name, path] : g.at("paths").items()) print_path_row(o, indent + name, path);
  // The privileged probe of fork_bomb goes through fork like the others:
  // the same columns make the two directly comparable.
  if (!g.contains("admin_probe")) return;
  const json& a = g["admin_probe"];
  if (a.at("attempts").get<uint64_t>() > 0) {
    print_path_row(o, indent + "admin probe", a);
    return;
  }
  // Its interval may be longer than the window: say so rather than print a
  // row of zeros that reads as "it ran and nothing failed".
  o << left(indent + "admin probe", kLabel) << "never ran in the window";
  if (workload.contains("admin_probe") && workload["admin_probe"].is_object() &&
      workload["admin_probe"].contains("interval_s"))
    o << " (interval " << total(workload["admin_probe"]["interval_s"].get<double>()) << ")";
  o << "\n";
}

void print_paths(std::ostream& o, const json& r) {
  // An interactive victim alone forks nothing: no table of no paths.
  if (r.at("paths").empty() && !r.contains("admin_probe") && !r.contains("groups")) return;
  o << left("path", kLabel) << right("attempts", 9) << right("successes", 10);
  for (const char* key : {"mean", "p50", "p90", "p99", "max"}) o << right(key, 10);
  o << "  failures\n";
  print_path_rows(o, r, r.at("scenario").value("workload", json::object()), "");
}

// The three locks with most contended acquisitions (then longest mean
// wait, then name, so that ties print in a fixed order); uncontended locks
// say nothing about contention and are left out.
std::vector<std::pair<std::string, json>> most_contended(const json& locks, size_t n) {
  std::vector<std::pair<std::string, json>> v;
  for (const auto& [name, l] : locks.items())
    if (l.at("contended").get<uint64_t>() > 0) v.emplace_back(name, l);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    const auto ca = a.second.at("contended").template get<uint64_t>();
    const auto cb = b.second.at("contended").template get<uint64_t>();
    if (ca != cb) return ca > cb;
    const auto wa = a.second.at("wait_mean_s").template get<double>();
    const auto wb = b.second.at("wait_mean_s").template get<double>();
    if (wa != wb) return wa > wb;
    return a.first < b.first;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

void print_locks(std::ostream& o, const json& r) {
  const auto top = most_contended(r.at("locks"), 3);
  if (top.empty()) {
    o << left("lock", kLabel) << "no lock was contended\n";
    return;
  }
  // Utilization is one instance's busy fraction: for a per-process lock the
  // mean over its instances, then the busiest one's.
  o << left("lock", kLabel) << right("contended", 14) << right("mean wait", 11)
    << right("util", 8) << right("max", 8) << right("spin cpu", 10) << "\n";
  for (const auto& [name, l] : top) {
    const std::string contended = count(l.at("contended")) + " (" +
                                  percent(l.at("contended_fraction").get<double>()) + ")";
    o << left(name, kLabel) << right(contended, 14)
      << right(latency(l.at("wait_mean_s").get<double>()), 11)
      << right(significant(l.at("utilization").get<double>()), 8)
      << right(significant(l.at("utilization_max").get<double>()), 8)
      << right(total(l.at("spin_cpu_s").get<double>()), 10) << "\n";
  }
}

void print_backoff(std::ostream& o, const json& r) {
  const json& b = r.at("backoff");
  if (b.at("failures").get<uint64_t>() == 0) return;
  o << left("backoff", kLabel) << count(b.at("failures")) << " getproc failures ("
    << significant(b.at("failures_per_s").get<double>()) << "/s";
  // The seed's own yardstick: about one failure per CPU per clock tick.
  const json& m = r.at("scenario").value("machine", json::object());
  if (m.contains("ncpus") && m.contains("hz"))
    o << "; ncpus x hz = " << m.at("ncpus").get<int>() * m.at("hz").get<int>() << "/s";
  o << "), " << count(b.at("delays"))
    << " delays totalling " << total(b.at("delay_total_s").get<double>())
    << ", fork_fail_pending max " << b.at("fork_fail_pending_max").get<int>() << "\n";
}

// A fork bomb's processes that ended their attempts (bash's give-up), and
// the backoff variant when it is not the kernel's own.
void print_retry(std::ostream& o, const json& r) {
  if (r.contains("kernel") && r["kernel"].value("fork_backoff", json("illumos")) != "illumos")
    o << left("kernel", kLabel) << "fork_backoff " << r["kernel"]["fork_backoff"].dump() << "\n";
  if (!r.contains("retry") || r["retry"].at("gave_up").get<uint64_t>() == 0) return;
  const json& rt = r["retry"];
  o << left("retry", kLabel) << count(rt.at("gave_up")) << " processes gave up after "
    << count(rt.at("gave_up_sleeps")) << " sleeps (mean "
    << total(rt.at("gave_up_sleep_s").at("mean").get<double>()) << " each)\n";
}

// Memory matters to the story only when a fork failed for lack of it.
void print_memory(std::ostream& o, const json& r) {
  const json& m = r.at("memory");
  if (m.at("enomem_failures").get<uint64_t>() == 0) return;
  o << left("memory", kLabel) << "reserved max " << fixed(m.at("reserved_max_mb").get<double>(), 1)
    << " MB, " << count(m.at("enomem_failures")) << " ENOMEM failures\n";
}

// Write faults after fork, one line per path that took any: how many, how
// many copied, their CPU, and how long the parent ran slowed after a fork.
void print_faults(std::ostream& o, const json& r) {
  for (const auto& [name, path] : r.at("paths").items()) {
    if (!path.contains("write_faults")) continue;  // a report from before write faults
    const json& f = path["write_faults"];
    if (f.at("faults").get<uint64_t>() == 0) continue;
    const json& slowed = f.at("slowed_s");
    o << left("faults", kLabel) << name << ": " << count(f.at("faults")) << " ("
      << count(f.at("copies")) << " copies), " << total(f.at("cpu_s").get<double>())
      << " CPU; slowed after forks: " << count(slowed.at("count")) << ", mean "
      << latency_of(slowed, "mean") << ", max " << latency_of(slowed, "max") << "\n";
  }
}

// The open workload, or a service: is it keeping up (offered against served, the queue),
// how long a request takes end to end, how many waited for a process, and
// what the window left unserved.
void print_requests(std::ostream& o, const json& r) {
  if (!r.contains("requests")) return;
  const json& q = r["requests"];
  const double growth = q.at("queue_growth_per_s").get<double>();
  o << left("requests", kLabel) << "offered " << significant(q.at("offered_per_s").get<double>())
    << "/s, served " << significant(q.at("served_per_s").get<double>()) << "/s, queue "
    << count(q.at("queue_start")) << " -> " << count(q.at("queue_end")) << " ("
    << (growth > 0 ? "+" : growth < 0 ? "-" : "") << significant(std::abs(growth)) << "/s)"
    << (q.at("overloaded").get<bool>() ? ": OVERLOADED" : ", not overloaded") << "\n";
  const bool service = q.contains("stall_s");
  const json& lat = q.at("latency_s");
  o << left("", kLabel) << (service ? "latency (arrival to completion) mean "
                                    : "latency (arrival to fork return) mean ")
    << latency_of(lat, "mean") << ", p50 " << latency_of(lat, "p50") << ", p99 "
    << latency_of(lat, "p99") << ", max " << latency_of(lat, "max") << "\n";
  if (service) {
    const json& st = q.at("stall_s");
    o << left("", kLabel) << count(st.at("count")) << " forks held the workers (mean "
      << latency_of(st, "mean") << ", max " << latency_of(st, "max") << "); p99 near a fork "
      << latency_of(q.at("near_fork").at("latency_s"), "p99") << ", away "
      << latency_of(q.at("away_from_fork").at("latency_s"), "p99") << "\n";
  }
  const json& w = q.at("wait_s");
  o << left("", kLabel) << count(q.at("waited")) << " of " << count(w.at("count"))
    << " taken waited for " << (service ? "a worker" : "a process") << " (wait mean "
    << latency_of(w, "mean") << ", max " << latency_of(w, "max") << "), up to " << count(q.at("waiting_max")) << " queued\n";
  o << left("", kLabel) << count(q.at("unserved_at_end")) << " unserved at the end";
  if (q.at("unserved_at_end").get<uint64_t>() > 0)
    o << ", oldest waiting " << latency(q.at("unserved_age_s").at("max").get<double>())
      << " (not in the latency above)";
  o << "\n";
}

// The interactive victim: how late its work finished after each wake-up.
void print_response(std::ostream& o, const json& r) {
  if (!r.contains("response_s")) return;
  const json& h = r["response_s"];
  o << left("response", kLabel) << count(h.at("count")) << " wake-ups, wake-up to end of work mean "
    << latency_of(h, "mean") << ", p50 " << latency_of(h, "p50") << ", p99 "
    << latency_of(h, "p99") << ", max " << latency_of(h, "max") << "\n";
}

// A composite machine: each group's throughput, then its rows, indented,
// under the machine-wide table's columns, then its requests.
void print_groups(std::ostream& o, const json& r) {
  if (!r.contains("groups")) return;
  const json none = json::array();
  const json& specs = r.at("scenario").value("workload", json::object()).value("groups", none);
  for (const auto& [name, g] : r["groups"].items()) {
    json spec = json::object();
    for (const json& s : specs)
      if (s.value("name", std::string()) == name) spec = s;
    const json& t = g.at("throughput");
    o << left("group", kLabel) << name << ": " << significant(t.at("forks_per_s").get<double>())
      << " forks/s (failures " << significant(t.at("failures_per_s").get<double>()) << "/s)\n";
    print_path_rows(o, g, spec, "  ");
    print_requests(o, g);
    print_response(o, g);
  }
}

// Whether a cell of the path tables (top level or a group's) reads "too
// few": a latency with samples whose p50, p90 or p99 the report left out.
bool table_has_too_few(const json& r) {
  auto too_few = [](const json& path) {
    const json& lat = path.at("latency_s");
    if (lat.at("count").get<uint64_t>() == 0) return false;
    for (const char* key : {"p50", "p90", "p99"})
      if (!lat.contains(key)) return true;
    return false;
  };
  std::vector<const json*> owners = {&r};
  if (r.contains("groups"))
    for (const auto& [name, g] : r["groups"].items()) owners.push_back(&g);
  for (const json* g : owners) {
    for (const auto& [name, path] : g->at("paths").items())
      if (too_few(path)) return true;
    if (g->contains("admin_probe") && too_few((*g)["admin_probe"])) return true;
  }
  return false;
}

// What "too few" means, with the sample sizes it takes.
void print_too_few_note(std::ostream& o, const json& r) {
  if (!table_has_too_few(r)) return;
  o << left("", kLabel) << "too few: fewer samples than the percentile's 95% interval needs (p50 "
    << min_samples_for_interval(0.5) << ", p90 " << min_samples_for_interval(0.9) << ", p99 "
    << min_samples_for_interval(0.99) << ")\n";
}

}  // namespace

void print_summary(std::ostream& out, const json& report) {
  // Built in a private stream and written once, with the classic locale,
  // whatever the state of OUT.
  std::ostringstream o;
  o.imbue(std::locale::classic());
  if (!report.value("complete", true))
    o << "INCOMPLETE: " << report.value("incomplete_reason", std::string("(no reason given)"))
      << "\n";
  print_header(o, report);
  print_cpu(o, report);
  print_paths(o, report);
  print_too_few_note(o, report);
  print_groups(o, report);
  print_locks(o, report);
  print_backoff(o, report);
  print_retry(o, report);
  print_memory(o, report);
  print_faults(o, report);
  print_requests(o, report);
  print_response(o, report);
  out << o.str();
}

}  // namespace forksim
