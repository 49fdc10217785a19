#include "driver/replicate.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "analysis/stats.hpp"
#include "driver/metric_name.hpp"
#include "driver/run_pool.hpp"
#include "driver/run_server.hpp"
#include "driver/shard.hpp"

using nlohmann::json;

namespace forksim {

uint64_t replication_seed(uint64_t seed, uint64_t i) { return seed + i; }  // unsigned: wraps

std::vector<uint64_t> replication_seeds(uint64_t seed, std::size_t n) {
  std::vector<uint64_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(replication_seed(seed, i));
  return v;
}

namespace {

// The precision metric of one report, when it has it.
std::optional<double> metric_of(const json& report, const StopRule& rule) {
  if (!rule.precision) return std::nullopt;
  auto m = numeric_metrics(report);
  auto it = m.find(rule.precision->metric);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

struct PointState {
  std::map<std::size_t, json> finished;  // by replication
  std::vector<std::optional<double>> values;  // the unbroken prefix's metric
  std::size_t launched = 0, prefix = 0;
  bool decided = false;
};

std::string where(const PointSpec& p, uint64_t seed) {
  return (p.label.empty() ? std::string() : p.label + ", ") + "seed " + std::to_string(seed);
}

class Scheduler {
 public:
  Scheduler(const std::vector<PointSpec>& points, const StopRule& rule, const ExperimentContext& ctx,
            const std::function<void(std::size_t, PointResult&)>& on_point,
            const FailurePolicy& failures)
      : points_(points), rule_(rule), ctx_(ctx), on_point_(on_point), failures_(failures),
        state_(points.size()),
        pool_(ctx.make_pool ? ctx.make_pool() : forked_run_servers(ctx.sim, std::max(1, ctx.jobs))),
        order_(launch_order(points, pool_->at_once())), t0_(std::chrono::steady_clock::now()) {
    out_.points.resize(points.size());
    for (const PointSpec& p : points) {
      StopRule r = rule;
      if (p.replications > 0 && !rule.precision) r.replications = p.replications;
      if (p.seeds.size() < static_cast<std::size_t>(r.most()))
        throw std::invalid_argument("run_points: a point has fewer seeds than the rule may run");
      rules_.push_back(r);
    }
  }

  Outcome run() {
    report_progress();
    while (true) {
      // An interrupt overrides a budget stop in progress: the user wants out.
      if (out_.status <= 128 && interrupted()) {
        out_.status = 0;
        begin_stop(128 + signal_number(), interrupt_message());
      }
      if (!stopping()) launch();
      if (pool_->running() == 0) break;
      std::optional<ChildOutcome> o = pool_->wait_one(/*interruptible=*/true);
      // The freed slot is filled first, then the report is parsed and
      // taken (0.3 ms a run of 20 KB, with the core idle): a run launched
      // for a point the report then decides is only discarded, and the
      // answers never depend on which runs were under way.
      if (o && !stopping() && !interrupted()) launch();
      if (o) {
        parse_result(*o);
        take(std::move(*o));
      }
      if (!stopping() && !interrupted()) launch();
      tell();
      // A failure or a bad --metric: the rest are killed with the pool.
      if (out_.status == 1 || out_.status == 2) return finish();
      if (all_decided()) break;
    }
    return finish();
  }

 private:
  bool stopping() const { return out_.status != 0; }
  bool interrupted() const { return ctx_.interrupted && ctx_.interrupted(); }
  int signal_number() const {
    int s = ctx_.interrupt_signal ? ctx_.interrupt_signal() : 0;
    return s ? s : SIGINT;
  }
  std::string interrupt_message() const {
    int s = signal_number();
    return "interrupted by " + (s == SIGINT ? std::string("SIGINT") : s == SIGTERM ? std::string("SIGTERM")
                                                                  : "signal " + std::to_string(s));
  }

  void begin_stop(int status, const std::string& message) {
    if (stopping()) return;
    out_.status = status;
    out_.message = message;
    // The children share our terminal's signal only when it came from one;
    // forwarded, a child that also had it dies of the second, which is as
    // good: nothing of an interrupted run is kept.
    if (status > 128) pool_->signal_all(status - 128);
  }

  bool all_decided() const {
    return std::all_of(state_.begin(), state_.end(), [](const PointState& s) { return s.decided; });
  }

  // Whether point p may start its next replication: below the first
  // decision, every one; past it, as many as there are jobs beyond what has
  // finished, so that one point cannot run far ahead of its decision.
  bool may_launch(std::size_t p) const {
    const PointState& s = state_[p];
    if (s.decided || s.launched >= static_cast<std::size_t>(rules_[p].most())) return false;
    if (s.launched < static_cast<std::size_t>(rules_[p].initial())) return true;
    return s.launched - s.prefix < static_cast<std::size_t>(std::max(1, pool_->jobs()));
  }

  // With runs at once, the points by descending expected cost (ties: the
  // lower index first): the longest runs start first, so that none is left
  // to run alone at the end. One at a time, the order changes no wall time
  // and the points go in index order. Results do not depend on it (they
  // are kept by point and seed).
  static std::vector<std::size_t> launch_order(const std::vector<PointSpec>& points, int jobs) {
    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (jobs <= 1) return order;
    std::vector<double> cost;
    for (const PointSpec& p : points) cost.push_back(point_cost(parse_scenario(p.raw)));
    std::stable_sort(order.begin(), order.end(), [&cost](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
    return order;
  }

  void launch() {
    while (!pool_->full()) {
      auto next = std::find_if(order_.begin(), order_.end(), [this](std::size_t p) { return may_launch(p); });
      if (next == order_.end()) return;
      const std::size_t p = *next;
      PointState& s = state_[p];
      std::size_t rep = s.launched++;
      json raw = points_[p].raw;
      raw["seed"] = points_[p].seeds[rep];
      uint64_t id = next_id_++;
      jobs_[id] = {p, rep};
      pool_->start(id, raw);
    }
  }

  void take(ChildOutcome&& o) {
    auto [p, rep] = jobs_.at(o.id);
    jobs_.erase(o.id);
    PointState& s = state_[p];
    const uint64_t seed = points_[p].seeds[rep];
    if (o.status == kRunLost) return lose_point(p, o.error);
    if (o.status > 128 && o.result) {
      // The child was stopped by a signal it had itself (a terminal's ^C).
      begin_stop(o.status, interrupt_message());
      return;
    }
    if (o.status != 0 && o.status != 3) {
      if (stopping() && out_.status > 128) return;  // killed by our own forwarding
      std::string message = "the run at " + where(points_[p], seed) + " failed: " + o.error;
      if (failures_.record) return fail_point(p, {1, message});
      out_.status = 1;
      out_.message = message;
      return;
    }
    if (o.status == 3) {
      std::string why = o.result && o.result->contains("incomplete_reason")
                            ? (*o.result)["incomplete_reason"].get<std::string>()
                            : o.error;
      std::string message = "the run at " + where(points_[p], seed) + " was stopped by a budget: " + why;
      if (failures_.record && !stopping() && !(failures_.budget_spent && failures_.budget_spent()))
        return fail_point(p, {3, message});
      begin_stop(3, message);
      return;
    }
    if (!metric_checked_) {
      metric_checked_ = true;
      std::vector<std::pair<std::string, std::string>> named = ctx_.named_metrics;
      if (rule_.precision) named.insert(named.begin(), {"--metric", rule_.precision->metric});
      for (const auto& [option, metric] : named) {
        std::string bad = unknown_metric(*o.result, metric, option);
        if (bad.empty()) continue;
        out_.status = 2;
        out_.message = bad;
        return;
      }
    }
    if (s.decided) return;  // run past the decision
    s.finished[rep] = std::move(*o.result);
    ++runs_done_;
    while (!s.decided && s.finished.count(s.prefix)) {
      s.values.push_back(metric_of(s.finished[s.prefix], rule_));
      ++s.prefix;
      if (std::optional<Stopped> d = decide(rules_[p], s.values)) decide_point(p, *d);
    }
    report_progress();
  }

  PointResult prefix_result(std::size_t p, Stopped why, bool decided) {
    PointState& s = state_[p];
    PointResult r;
    r.stopped = std::move(why);
    r.decided = decided;
    for (std::size_t i = 0; i < s.prefix; ++i) {
      r.seeds.push_back(points_[p].seeds[i]);
      r.runs.push_back(std::move(s.finished[i]));
    }
    s.finished.clear();
    return r;
  }

  void decide_point(std::size_t p, const Stopped& d) {
    state_[p].decided = true;
    ++points_done_;
    out_.points[p] = prefix_result(p, d, true);
    if (on_point_) untold_.push_back(p);
  }

  // The point's other runs still going are discarded as they end (it is
  // decided as far as the scheduler goes); only its first failure counts.
  void fail_point(std::size_t p, PointFailure f) {
    PointState& s = state_[p];
    if (s.decided) return;
    s.decided = true;
    s.finished.clear();
    ++points_done_;
    PointResult r;
    r.stopped = {"failed", std::nullopt};
    r.failed = std::move(f);
    out_.points[p] = std::move(r);
    if (on_point_) untold_.push_back(p);
    report_progress();
  }

  // Its rank went silent: nothing is known of the point's run, so the
  // point is neither decided nor failed (nor handed to on_point): a rerun
  // runs it. The experiment goes on over the other ranks.
  void lose_point(std::size_t p, const std::string& why) {
    PointState& s = state_[p];
    if (std::find(lost_why_.begin(), lost_why_.end(), why) == lost_why_.end()) lost_why_.push_back(why);
    if (s.decided) return;
    s.decided = true;
    s.finished.clear();
    out_.lost.push_back(p);
    PointResult r;
    r.stopped = {"lost", std::nullopt};
    out_.points[p] = std::move(r);
  }

  // Lost runs, or points no rank was left to run, end an experiment that
  // nothing else stopped with status 1, naming them.
  void report_lost() {
    std::vector<std::size_t> not_run;
    for (std::size_t p = 0; p < points_.size(); ++p)
      if (!state_[p].decided) not_run.push_back(p);
    if (out_.lost.empty() && not_run.empty()) return;
    std::string m;
    for (const std::string& w : lost_why_) m += (m.empty() ? "" : "; ") + w;
    if (m.empty()) m = "no worker was left to run on";
    auto names = [this](const std::vector<std::size_t>& ps) {
      std::string s;
      for (std::size_t p : ps) s += (s.empty() ? "" : ", ") + (points_[p].label.empty() ? "the point" : points_[p].label);
      return s;
    };
    std::sort(out_.lost.begin(), out_.lost.end());
    if (!out_.lost.empty()) m += "; lost the runs of " + names(out_.lost);
    if (!not_run.empty()) m += "; no worker left to run " + names(not_run);
    for (std::size_t p : not_run) out_.lost.push_back(p);
    std::sort(out_.lost.begin(), out_.lost.end());
    out_.status = 1;
    out_.message = m;
  }

  // Hands the points decided since the last call to on_point, in the order decided.
  void tell() {
    std::vector<std::size_t> points;
    points.swap(untold_);
    for (std::size_t p : points) on_point_(p, out_.points[p]);
  }

  Outcome finish() {
    tell();
    if (out_.status == 0) report_lost();
    std::string reason = out_.status == 3 ? "budget" : out_.status > 128 ? "interrupted" : "failed";
    // (never "asked": an undecided point was stopped by one of these)
    for (std::size_t p = 0; p < points_.size(); ++p) {
      if (state_[p].decided || std::count(out_.lost.begin(), out_.lost.end(), p)) continue;
      Stopped why{reason, rel_half_width(state_[p].values, rule_.level)};
      out_.points[p] = prefix_result(p, why, false);
    }
    return std::move(out_);
  }

  void report_progress() {
    if (!ctx_.progress) return;
    Progress pr;
    pr.runs_done = runs_done_;
    pr.points = points_.size();
    pr.points_done = points_done_;
    pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    for (std::size_t p = 0; p < points_.size(); ++p) {
      const PointState& s = state_[p];
      std::size_t planned = std::max<std::size_t>(rules_[p].initial(), s.prefix);
      double rel = rule_.precision ? rel_half_width(s.values, rule_.level).value_or(-1) : -1;
      if (s.decided) {
        planned = s.prefix;
      } else if (rel >= 0) {
        // The half-width shrinks as 1/sqrt(n): the count that would reach the target.
        double need = std::ceil(s.prefix * std::pow(rel / rule_.precision->target, 2));
        planned = std::clamp<std::size_t>(static_cast<std::size_t>(std::min(need, 1e9)), s.prefix,
                                          rule_.most());
      }
      pr.runs_planned += planned;
      if (points_.size() == 1) pr.rel_half_width = rel;
    }
    if (rule_.precision && points_.size() == 1) pr.target = rule_.precision->target;
    ctx_.progress(pr);
  }

  const std::vector<PointSpec>& points_;
  const StopRule& rule_;
  std::vector<StopRule> rules_;  // per point
  const ExperimentContext& ctx_;
  const std::function<void(std::size_t, PointResult&)>& on_point_;
  std::vector<std::size_t> untold_;  // decided, not yet handed to on_point (tell)
  const FailurePolicy& failures_;
  std::vector<PointState> state_;
  std::unique_ptr<RunPool> pool_;
  std::vector<std::size_t> order_;  // launch order (launch_order)
  std::vector<std::string> lost_why_;
  std::map<uint64_t, std::pair<std::size_t, std::size_t>> jobs_;
  uint64_t next_id_ = 0;
  bool metric_checked_ = false;
  std::size_t runs_done_ = 0, points_done_ = 0;
  std::chrono::steady_clock::time_point t0_;
  Outcome out_;
};

}  // namespace

Outcome run_points(const std::vector<PointSpec>& points, const StopRule& rule,
                   const ExperimentContext& ctx,
                   const std::function<void(std::size_t, PointResult&)>& on_point,
                   const FailurePolicy& failures) {
  return Scheduler(points, rule, ctx, on_point, failures).run();
}

json point_raw(const json& base_raw, const std::vector<std::string>& sets, const std::string& label,
               const std::function<void(const Scenario&)>& check) {
  json raw = base_raw;
  try {
    for (const std::string& set : sets) apply_override(raw, set);
    Scenario s = parse_scenario(raw);
    if (check) check(s);
  } catch (const ScenarioError& e) {
    throw ScenarioError("", label + ": " + e.what());
  }
  return raw;
}

json replications_json(const PointResult& r, const StopRule& rule, int jobs) {
  json stopped = {{"reason", r.stopped.reason}};
  if (rule.precision) {
    stopped["metric"] = rule.precision->metric;
    stopped["target"] = rule.precision->target;
    stopped["rel_half_width"] = r.stopped.rel_half_width ? json(*r.stopped.rel_half_width) : json(nullptr);
  }
  return {{"n", r.runs.size()}, {"seeds", r.seeds}, {"seed_rule", kSeedRule}, {"jobs", jobs},
          {"level", rule.level}, {"stopped", stopped}};
}

json point_json(PointResult&& r, const StopRule& rule, int jobs) {
  json s = summarise_metrics(r.runs, rule.level);
  json j = json::object();
  j["replications"] = replications_json(r, rule, jobs);
  j["metrics"] = std::move(s["metrics"]);
  j["partial"] = std::move(s["partial"]);
  j["runs"] = std::move(r.runs);
  return j;
}

json point_json(const PointResult& r, const StopRule& rule, int jobs) {
  return point_json(PointResult(r), rule, jobs);
}

json replicated_json(const json& scenario, const PointResult& r, const StopRule& rule, int jobs) {
  json j = {{"kind", "replicated"}, {"schema_version", 1}, {"scenario", scenario},
            {"complete", r.decided}};
  j.update(point_json(r, rule, jobs));
  return j;
}

}  // namespace forksim
