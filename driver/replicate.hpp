// Replications of one or many points over the child pool: each run (a
// point at one seed) is its own process, `jobs` at a time; each point stops
// by its rule (driver/stopping.hpp), judged on its first k replications in
// seed order, so the result is the same whatever the number of jobs and the
// order the runs end in. Runs past a point's decision (started early to
// keep the pool full) are discarded.
//
// Seeds: replication i of a scenario whose seed is s runs with seed s + i
// (mod 2^64), so replication 0 is the plain run and any replication reruns
// alone with `forksim run X --seed S+i`. A sweep uses the same seeds at
// every point (common random numbers).
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "driver/experiment.hpp"
#include "driver/stopping.hpp"

namespace forksim {

constexpr const char* kSeedRule = "replication i runs with seed + i";

// seed + i, wrapping at 2^64.
uint64_t replication_seed(uint64_t seed, uint64_t i);
// The first n seeds from seed.
std::vector<uint64_t> replication_seeds(uint64_t seed, std::size_t n);

struct PointSpec {
  nlohmann::json raw;           // the point's scenario (validated), its seed replaced per run
  std::string label;            // names the point in messages ("" for a plain replicated run)
  std::vector<uint64_t> seeds;  // at least rule.most() of them, in replication order
  int replications = 0;         // without precision: this many instead of the rule's (0: the rule's)
};

// Why a point has no result: one of its runs exited 1 (an internal error)
// or 3 (a budget of its own stopped it, as --max-memory-mb).
struct PointFailure {
  int status = 1;
  std::string message;  // names the point and the seed
};

// A point's replications: the first k runs in seed order and why k.
struct PointResult {
  std::vector<uint64_t> seeds;
  std::vector<nlohmann::json> runs;
  Stopped stopped;        // "budget" or "interrupted" when not decided
  bool decided = false;
  std::optional<PointFailure> failed;  // with no runs, not decided
};

// How run_points takes a run that fails. By default the experiment gives
// up (one point: its answer is lost anyway). A sweep records the point as
// failed and goes on with the others, except for a budget stop once
// `budget_spent` says the experiment's own budget is spent (--max-wall-s
// is the sweep's: the other points would be stopped too).
struct FailurePolicy {
  bool record = false;
  std::function<bool()> budget_spent;
};

struct Outcome {
  // 0: every point decided; else the command's exit status (1 a run failed,
  // 2 the precision metric is not a metric of the report, 3 a budget
  // stopped a run, 128 + signal interrupted) and `message` says why.
  int status = 0;
  std::string message;
  // Per point: its result; one not decided has the runs finished in an
  // unbroken prefix of its seeds (none after a failure).
  std::vector<PointResult> points;
  // The points (ascending) whose runs were lost with a rank that went
  // silent, or that no rank was left to run (MPI): status 1, the message
  // names them; they are not handed to on_point, so a rerun runs them.
  std::vector<std::size_t> lost;
};

// base_raw with `sets` applied (--set's syntax), checked by parse_scenario
// and then `check` (when given); a ScenarioError names `label` first.
nlohmann::json point_raw(const nlohmann::json& base_raw, const std::vector<std::string>& sets,
                         const std::string& label, const std::function<void(const Scenario&)>& check);

// Runs the points by the rule. `on_point` is called (in the parent) as each
// point is decided or fails (by `failures`), in that order; it may take the
// point's runs, which the outcome then lacks (a sweep keeps them on disk,
// so that the driver, forked for every run, stays small). A budget stop
// lets the running runs end, then gives up; an interrupt forwards the
// signal to the children and waits for them; a failed run gives up at once
// unless `failures` records it.
Outcome run_points(const std::vector<PointSpec>& points, const StopRule& rule,
                   const ExperimentContext& ctx,
                   const std::function<void(std::size_t, PointResult&)>& on_point = {},
                   const FailurePolicy& failures = {});

// The "replications" object of a result: {"n", "seeds", "seed_rule", "jobs",
// "level", "stopped": {"reason", and with precision "metric", "target",
// "rel_half_width"}}.
nlohmann::json replications_json(const PointResult& r, const StopRule& rule, int jobs);

// {"replications", "metrics", "partial", "runs"}: a point's part of a
// replicated run or a sweep.
nlohmann::json point_json(const PointResult& r, const StopRule& rule, int jobs);
// The same, r's runs (only they) moved into it rather than copied (a sweep's points are
// on disk once made: copying 100 KB of runs a point was 10% of the driver's
// CPU).
nlohmann::json point_json(PointResult&& r, const StopRule& rule, int jobs);

// The replicated run's result (design: "Replicated run"), without the
// manifest, which the caller adds; "complete" is whether the point was
// decided (a budget stopped it otherwise).
nlohmann::json replicated_json(const nlohmann::json& scenario, const PointResult& r,
                               const StopRule& rule, int jobs);

}  // namespace forksim
