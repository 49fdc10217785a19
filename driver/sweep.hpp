// A sweep: every point of the --vary lists (driver/vary.hpp) validated
// before anything runs, then replicated with common random numbers
// (replication i at seed s + i at every point) over the child pool, and
// the result (design: "Sweep") and its long-form CSV.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "driver/experiment.hpp"
#include "driver/point_store.hpp"
#include "driver/replicate.hpp"
#include "driver/stopping.hpp"
#include "driver/vary.hpp"

namespace forksim {

constexpr int kDefaultSweepReplications = 3;

struct SweepOptions {
  std::vector<Vary> vary;
  bool zip = false;
  StopRule rule{kDefaultSweepReplications, std::nullopt, 0.95};
};

struct SweepPlan {
  nlohmann::json base;                // the base scenario, resolved
  std::vector<SweepPoint> points;
  std::vector<PointSpec> specs;       // one per point
  // Each point's index in the whole sweep, and the whole sweep's number of
  // points: a shard's plan (driver/shard.hpp) holds some of them.
  std::vector<std::size_t> indices;
  std::size_t total = 0;
};

// Applies each point's overrides to `base_raw` (the scenario before
// resolution, so that derived defaults follow the point) and checks it,
// with `check` besides parse_scenario when given. Throws ScenarioError
// naming the point and the key at the first bad point.
SweepPlan plan_sweep(const nlohmann::json& base_raw, const SweepOptions& opt,
                     const std::function<void(const Scenario&)>& check = {});

// The sweep's identity, which a resumed log (driver/sweep_resume.hpp) and
// a merge of shards must share: {"scenario_hash" (of the resolved base),
// "vary", "zip", "replications", "precision" (null or {"target", "metric",
// "max_replications"}), "level", "seeds" (the rule's most, from the base's
// seed), "forksim_version", "git_commit" (null outside a checkout)}.
nlohmann::json sweep_definition(const SweepPlan& plan, const SweepOptions& opt);
// The definition's fingerprint: fnv1a64 of its compact dump, 16 hex digits.
std::string sweep_definition_hash(const nlohmann::json& definition);
// The fields (top-level keys) whose values differ between two definitions,
// in the order above, each with both values when they are short (named by
// the labels): "seeds ([1,2] in this command, [7,8] in the log)"; empty
// when they are equal.
std::vector<std::string> definition_differences(const nlohmann::json& a, const std::string& a_label,
                                                const nlohmann::json& b, const std::string& b_label);

// {"index", "overrides", "sets", "replications", "metrics", "partial", "runs"},
// or for a failed point {"index", "overrides", "failed": {"status", "message"}}.
// r's runs are moved out of it, nothing else.
nlohmann::json sweep_point_json(std::size_t index, const SweepPoint& p, PointResult&& r,
                                const StopRule& rule, int jobs);

// The plan's position of a full-sweep index (a shard's plan holds some);
// nullopt when the plan does not hold it.
std::optional<std::size_t> position_of(const SweepPlan& plan, std::size_t index);

// The point without its "runs": all that the summary, the CSV, the knee
// and the USL read of it.
nlohmann::json point_digest(const nlohmann::json& point);

// The plan's points by their position in the plan (the full-sweep index
// but for a shard's plan, whose positions map to plan.indices): each
// finished or failed point (sweep_point_json, its "index" the full-sweep
// one) is kept in the store, its slot here, and its digest in memory (a
// sweep's end would otherwise parse every one back: 0.6 s for a thousand
// points, with the cores idle); absent while it has not run. A point put
// again (a retried failure) replaces the one before.
struct SweepTable {
  explicit SweepTable(std::size_t positions) : slots(positions) {}
  std::vector<std::optional<std::size_t>> slots;
  PointStore store;
  std::vector<nlohmann::json> digests;  // by slot; sweep_json moves them out

  // `compact`, when given, is point.dump() (PointStore::add). One thread
  // at a time.
  void put(std::size_t position, const nlohmann::json& point, std::string compact = {}) {
    const std::size_t slot = store.add(point, std::move(compact));
    if (digests.size() <= slot) digests.resize(slot + 1);
    digests[slot] = point_digest(point);
    slots.at(position) = slot;
  }
  bool has(std::size_t position) const { return slots.at(position).has_value(); }
  bool failed(std::size_t position) const { return has(position) && store.failed(*slots[position]); }
  std::size_t count() const;
  // The slots of the points there, by position: the order of a result's points.
  std::vector<std::size_t> in_order() const;
};

// Runs the plan's points at positions `indices`; each one's JSON goes to on_point as
// it is decided or fails (the partial log). A failed point does not stop
// the others, unless it is a budget stop once `budget_spent` (the sweep's
// own --max-wall-s): that stops the sweep (status 3, the rest not run).
// The outcome's points keep no runs: on_point has them.
Outcome run_sweep(const SweepPlan& plan, const SweepOptions& opt, const ExperimentContext& ctx,
                  const std::vector<std::size_t>& indices,
                  const std::function<void(const nlohmann::json&)>& on_point,
                  const std::function<bool()>& budget_spent = {});

// The sweep's result (without the manifest): the table's points in index
// order, "failed_points" their indices that failed, "complete" false when
// some point failed or did not run. Its points are the digests (without
// "runs"), moved out of table.digests (it is made once, at the end);
// write_result (driver/result_text.hpp) with table.in_order() writes them
// whole.
nlohmann::json sweep_json(const SweepPlan& plan, const SweepOptions& opt, SweepTable& table);

// Long form: header "<varied keys...>,metric,mean,half_width,n", one row
// per point and metric (those every replication had), half_width empty
// when there is none (one replication); a failed point has no row.
std::string sweep_csv(const nlohmann::json& sweep);

}  // namespace forksim
