// make_report. The summary is in summary.cpp.
#include "analysis/report.hpp"

#include <cmath>

#include "analysis/order_statistics.hpp"

// CMake defines FORKSIM_VERSION from the project version; the fallback
// serves builds outside CMake (a quick g++ of the tests).
#ifndef FORKSIM_VERSION
#define FORKSIM_VERSION "0.1.0"
#endif

namespace forksim {

const char* const kForksimVersion = FORKSIM_VERSION;

using nlohmann::json;

namespace {

// x / d, or 0 when d is 0: an empty window or an unused lock gives rates
// of 0 rather than NaN or inf, which JSON cannot carry.
double ratio(double x, double d) { return d > 0 ? x / d : 0; }

// count, mean, max, and each percentile with its 95% order-statistic
// interval ("ci"); a percentile whose interval does not fit in the sample
// is left out and named in "too_few_samples" (absent when none is), so
// that a small sample's maximum is never printed as its p99.
json latency_json(const Histogram& h) {
  json j = {{"count", h.count()}, {"mean", h.mean()}, {"max", h.max()}};
  json ci = json::object(), too_few = json::array();
  for (const Percentile& pc : kPercentiles) {
    const auto ranks = quantile_rank_interval(h.count(), pc.q);
    if (!ranks) {
      too_few.push_back(pc.key);
      continue;
    }
    j[pc.key] = h.quantile(pc.q);
    ci[pc.key] = {h.value_at_rank(ranks->lower), h.value_at_rank(ranks->upper)};
  }
  j["ci"] = ci;
  if (!too_few.empty()) j["too_few_samples"] = too_few;
  return j;
}

json counts_json(const std::map<std::string, uint64_t>& m) {
  json j = json::object();  // {} rather than null when nothing failed
  for (const auto& [name, n] : m) j[name] = n;
  return j;
}

uint64_t total_failures(const PathStats& s) {
  uint64_t n = 0;
  for (const auto& [name, k] : s.failures) n += k;
  return n;
}

// attempts, successes, failures, latency_s, failure_latency_s: shared by
// paths and admin_probe.
json path_json(const PathStats& s) {
  json failed = json::object();
  for (const auto& [name, h] : s.failure_latency) failed[name] = latency_json(h);
  const FaultStats& f = s.write_faults;
  return {{"attempts", s.attempts},
          {"successes", s.successes},
          {"failures", counts_json(s.failures)},
          {"latency_s", latency_json(s.latency)},
          {"failure_latency_s", failed},
          {"write_faults",
           {{"faults", f.faults},
            {"copies", f.copies},
            {"cpu_s", f.cpu_s},
            {"slowed_s", latency_json(f.slowed_s)}}}};
}

json paths_json(const GroupProbes& p, double window) {
  json j = json::object();
  for (const auto& [name, s] : p.paths) {
    j[name] = path_json(s);
    j[name]["forks_per_s"] = ratio(s.successes, window);
  }
  return j;
}

json throughput_json(const GroupProbes& p, double window) {
  uint64_t attempts = 0, successes = 0, failures = 0;
  for (const auto& [name, s] : p.paths) {
    attempts += s.attempts;
    successes += s.successes;
    failures += total_failures(s);
  }
  return {{"forks_per_s", ratio(successes, window)},
          {"attempts_per_s", ratio(attempts, window)},
          {"failures_per_s", ratio(failures, window)}};
}

// lockstat's records for one lock: each caller (Probes::lock_sites) that
// took it or released a hold in the window, keyed by its step's name.
json lock_callers_json(const LockStats& l, const std::vector<LockSiteName>& sites) {
  json j = json::object();
  for (size_t site = 0; site < l.callers.size(); ++site) {
    const LockCallerStats& c = l.callers[site];
    if (c.acquisitions == 0 && c.hold_events == 0) continue;
    const LockSiteName name = site < sites.size() ? sites[site] : LockSiteName{};
    j[name.name.empty() ? "site_" + std::to_string(site) : name.name] = {
        {"lines", name.lines},
        {"acquisitions", c.acquisitions},
        {"contended", c.contended},
        {"spin_events", c.spin_events},
        {"spin_s", c.spin_s},
        {"block_events", c.block_events},
        {"block_s", c.block_s},
        {"hold_events", c.hold_events},
        {"hold_s", c.hold_s},
        {"hold_mean_s", ratio(c.hold_s, c.hold_events)},
        {"hold_max_s", c.hold_max_s}};
  }
  return j;
}

json locks_json(const Probes& p, double window) {
  json j = json::object();
  for (const auto& [name, l] : p.locks) {
    j[name] = {{"acquisitions", l.acquisitions},
               {"contended", l.contended},
               {"contended_fraction", ratio(l.contended, l.acquisitions)},
               {"wait_mean_s", ratio(l.wait_sum_s, l.contended)},
               {"wait_max_s", l.wait_max_s},
               {"hold_mean_s", ratio(l.hold_sum_s, l.acquisitions)},
               // The busy fraction of one instance: the mean over a
               // per-process lock's instances, and its busiest one. The sum
               // over instances is a load (it can exceed 1), given as busy_s.
               {"utilization", ratio(l.hold_sum_s, l.instances * window)},
               {"utilization_max", ratio(l.instance_hold_max_s, window)},
               {"busy_s", l.hold_sum_s},
               {"spin_cpu_s", l.spin_cpu_s},
               {"instances", l.instances},
               {"callers", lock_callers_json(l, p.lock_sites)}};
  }
  return j;
}

json backoff_json(const BackoffStats& b, double window) {
  return {{"failures", b.failures},
          {"delays", b.delays},
          {"delay_total_s", b.delay_total_s},
          {"fork_fail_pending_max", b.fork_fail_pending_max},
          {"by_reason", counts_json(b.by_reason)},
          {"failures_per_s", ratio(b.failures, window)}};
}

}  // namespace

bool overloaded(double offered, double served, double queue_start, double queue_end) {
  // Arrivals are Poisson: the count offered in the window has a standard
  // deviation of sqrt(offered). A shortfall beyond three of them is no
  // accident of the arrivals, and a queue that grew says where it went
  // (rather than into processes taking more requests at once).
  return offered - served > 3 * std::sqrt(offered) && queue_end > queue_start;
}

namespace {

json requests_json(const RequestStats& q, double window) {
  const double served = static_cast<double>(q.latency.count());
  const uint64_t queue_end = q.unserved_at_end;
  return {{"offered", q.offered},
          {"offered_per_s", ratio(q.offered, window)},
          {"served", q.latency.count()},
          {"served_per_s", ratio(served, window)},
          {"queue_start", q.queue_start},
          {"queue_end", queue_end},
          {"queue_growth_per_s",
           ratio(static_cast<double>(queue_end) - static_cast<double>(q.queue_start), window)},
          {"overloaded", overloaded(static_cast<double>(q.offered), served,
                                    static_cast<double>(q.queue_start),
                                    static_cast<double>(queue_end))},
          {"latency_s", latency_json(q.latency)},
          {"wait_s", latency_json(q.wait)},
          {"waited", q.waited},
          {"waiting_max", q.waiting_max},
          {"unserved_at_end", q.unserved_at_end},
          {"unserved_age_s",
           {{"mean", ratio(q.unserved_age_sum_s, static_cast<double>(q.unserved_at_end))},
            {"max", q.unserved_age_max_s}}}};
}

json retry_json(const RetryStats& s) {
  return {{"sleeps", s.sleeps},
          {"sleep_total_s", s.sleep_total_s},
          {"gave_up", s.gave_up},
          {"gave_up_sleeps", s.gave_up_sleeps},
          {"gave_up_sleep_s", latency_json(s.gave_up_sleep_s)}};
}

// A service's requests: the open workload's block (served: the worker
// finished it), with the queue's time-weighted mean and
// maximum over the window, the forks' stalls, and the latency of requests
// near a fork (in the system during a hold) against the rest.
json service_requests_json(const RequestStats& q, const ServiceStats& s, double window) {
  json j = requests_json(q, window);
  j["queue_length"] = {{"mean", ratio(s.queue_area, window)}, {"max", s.queue_max}};
  j["stall_s"] = latency_json(s.stall);
  j["near_fork"] = {{"latency_s", latency_json(s.near_fork)}};
  j["away_from_fork"] = {{"latency_s", latency_json(s.away_from_fork)}};
  return j;
}

// The requests block of a workload that has one (open, service).
void add_requests(json& j, const GroupProbes& g, double window) {
  if (g.service_enabled)
    j["requests"] = service_requests_json(g.requests, g.service, window);
  else if (g.requests_enabled)
    j["requests"] = requests_json(g.requests, window);
}

// A group's latency columns, aligned with the machine's samples; an
// interval in which none ended is null.
json series_json(const GroupProbes& g) {
  json j = json::object();
  for (const auto& [column, values] : g.series) {
    json a = json::array();
    for (double v : values) a.push_back(std::isnan(v) ? json(nullptr) : json(v));
    j[column] = a;
  }
  return j;
}

json timeseries_json(const RunInfo& info, const Probes& p) {
  json period = nullptr;
  if (info.scenario.is_object() && info.scenario.contains("timeseries_s"))
    period = info.scenario["timeseries_s"];
  json t = json::array(), nproc = json::array(), fails = json::array(),
       pending = json::array(), runnable = json::array(), forks = json::array(),
       cpu = json::array(), runq = json::array();
  for (const auto& s : p.timeseries) {
    t.push_back(s.t_s);
    nproc.push_back(s.nproc);
    fails.push_back(s.failures_per_s);
    pending.push_back(s.fork_fail_pending);
    runnable.push_back(s.runnable);
    forks.push_back(s.forks_per_s);
    cpu.push_back(s.cpu_utilization);
    runq.push_back(s.runq);
  }
  json j = {{"period_s", period},       {"t_s", t},
            {"nproc", nproc},           {"failures_per_s", fails},
            {"fork_fail_pending", pending}, {"runnable", runnable},
            {"forks_per_s", forks},     {"cpu_utilization", cpu},
            {"runq", runq}};
  // A single workload's latency columns sit beside the machine's; a
  // composite machine's are under groups.<name>.timeseries.
  j.update(series_json(p));
  return j;
}

// A composite machine's group: its own paths, throughput, failures by
// reason, and its admin probe or requests if it has them.
json group_json(const GroupProbes& g, double window) {
  json j = {{"paths", paths_json(g, window)},
            {"throughput", throughput_json(g, window)},
            {"failures_by_reason", counts_json(g.failures_by_reason)}};
  if (g.admin_probe_enabled) j["admin_probe"] = path_json(g.admin_probe);
  add_requests(j, g, window);
  if (g.response_enabled) j["response_s"] = latency_json(g.response);
  if (!g.series.empty()) j["timeseries"] = series_json(g);
  if (g.procs_after_drain >= 0)
    j["invariants"] = {{"drained", g.procs_after_drain == 0},
                       {"procs_after_drain", g.procs_after_drain}};
  return j;
}

json invariants_json(const Probes::Invariants& inv) {
  json upcount = json::object();  // JSON keys are strings: uid "100"
  for (const auto& [uid, n] : inv.upcount_after_drain) upcount[std::to_string(uid)] = n;
  return {{"drained", inv.drained},
          {"nproc_after_drain", inv.nproc_after_drain},
          {"pids_after_drain", inv.pids_after_drain},
          {"upcount_after_drain", upcount},
          {"reserved_mb_after_drain", inv.reserved_mb_after_drain},
          {"locks_held_after_drain", inv.locks_held_after_drain},
          {"threads_blocked_after_drain", inv.threads_blocked_after_drain},
          {"nproc_limit_violations", inv.nproc_limit_violations},
          {"cow_page_balance", inv.cow_page_balance}};
}

}  // namespace

json make_report(const RunInfo& info, const Probes& p) {
  const double window = p.window_end_s > p.window_start_s ? p.window_end_s - p.window_start_s : 0;

  json r;
  r["schema_version"] = kSchemaVersion;
  r["forksim_version"] = kForksimVersion;
  r["scenario"] = info.scenario;
  r["seed"] = info.seed;
  r["sim_time_s"] = info.sim_time_s;
  r["wall_time_s"] = info.wall_time_s;
  if (!info.manifest.is_null()) r["manifest"] = info.manifest;
  r["complete"] = p.complete;
  if (!p.complete) {
    r["incomplete_reason"] = p.incomplete_reason;
    r["incomplete_phase"] = p.incomplete_phase;
  }

  if (!info.warmup.is_null())
    r["warmup"] = info.warmup;
  else if (info.scenario.is_object() && info.scenario.contains("warmup_s"))
    r["warmup"] = {{"requested", info.scenario["warmup_s"]}};
  r["window"] = {{"start_s", p.window_start_s}, {"end_s", p.window_end_s}, {"length_s", window}};
  r["paths"] = paths_json(p, window);
  r["throughput"] = throughput_json(p, window);
  r["locks"] = locks_json(p, window);
  r["processes"] = {
      {"nproc_start", p.nproc_start}, {"nproc_max", p.nproc_max}, {"nproc_end", p.nproc_end}};
  if (p.retry_enabled) r["processes"]["born_by_generation"] = p.born_by_generation;
  r["cpu"] = {{"ncpus", p.ncpus},
              {"utilization", ratio(p.cpu_busy_s, p.ncpus * window)},
              {"busy_s", p.cpu_busy_s},
              {"runq_wait_s", p.runq_wait_sum_s},
              {"dispatches", p.dispatches}};
  r["backoff"] = backoff_json(p.backoff, window);
  // The variant the run's kernel backed off by (models/variants.hpp).
  if (info.scenario.is_object() && info.scenario.contains("kernel"))
    r["kernel"] = info.scenario["kernel"];
  if (p.retry_enabled) r["retry"] = retry_json(p.retry);
  r["memory"] = {{"reserved_max_mb", p.reserved_max_mb}, {"enomem_failures", p.enomem_failures}};
  if (p.admin_probe_enabled) r["admin_probe"] = path_json(p.admin_probe);
  add_requests(r, p, window);
  if (p.response_enabled) r["response_s"] = latency_json(p.response);
  if (!p.groups.empty()) {
    json g = json::object();
    for (const auto& [name, gp] : p.groups) g[name] = group_json(gp, window);
    r["groups"] = g;
  }
  r["timeseries"] = timeseries_json(info, p);
  // Only a drained run has checked them; a partial report claims nothing.
  if (p.complete) r["invariants"] = invariants_json(p.invariants);
  r["engine"] = {{"events", p.engine_events}, {"rounds", p.engine_rounds}};
  return r;
}

}  // namespace forksim
