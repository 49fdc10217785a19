// `forksim sweep --shard I/N`: the I-th of N deterministic slices of a
// sweep's points, for a batch system's job array; `forksim merge`
// (driver/merge.hpp) puts the slices' results back together.
//
// The slices are balanced by each point's expected cost (point_cost), not
// only by their count: greedy longest-first (LPT) over the costs, each
// point, most expensive first (ties: the lower index first), to the slice
// with the least cost so far (ties: the lower slice). Every point lands in
// exactly one slice, and every slice's cost is within the largest point's
// cost of the mean (the last point a slice took went to the least loaded
// slice, so no slice is more than that point above another).
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/sweep.hpp"
#include "scenarios/scenario.hpp"

namespace forksim {

struct ShardSpec {
  int index = 1;  // 1 <= index <= count, as `--array=1-N` numbers a Slurm job array
  int count = 1;
};

// The most slices a sweep may be cut into.
constexpr int kMaxShards = 100000;

// "I/N", both integers, 1 <= I <= N <= kMaxShards, all of the text. Throws
// ScenarioError naming --shard and why.
ShardSpec parse_shard(const std::string& text);

// The expected cost of one run of the scenario, in forks simulated: its
// duration times the fork rate it offers (capped by what its CPUs can
// fork), plus a constant for the run's own start (a process, the set-up).
// The offered rate of a workload, each top-level fork counted with the
// children its child forks in turn:
//   closed       parents x forking_lwps / (think + the child's CPU and
//                lifetime while the parent waits for it, reap "wait")
//   open         rate_per_s
//   service      rate_per_s requests (an event each, as cheap as a fork)
//                plus a fork every fork_every_s when it forks
//   fork_bomb    as fast as its CPUs fork (the cap)
//   interactive  one wake-up per period_s
// The cap is ncpus x cpu_speed x kForksPerCpuSecond. A proxy of the wall
// time, not a prediction: it only has to order and add up the points.
double point_cost(const Scenario& s);
// A saturated machine forks about 2,400 times a second per CPU up to 8
// CPUs (the README's ncpus sweep: 4,896 forks/s on 2, 18,875 on 8); past
// that lock spinning lowers it, which the proxy ignores.
constexpr double kForksPerCpuSecond = 2500;
// A run's start (a process, the machine's set-up), some 20 ms: the wall
// time of about 2,000 forks at the 100,000 forks a wall second a run
// simulates (the same sweep: 18 runs of 2 s, 4.5 s on 2 cores).
constexpr double kRunStartCost = 2000;

// The points (indices into costs, ascending) of slice `index` of `count`;
// an empty list when there are more slices than points. Costs must be
// finite and >= 0.
std::vector<std::size_t> shard_points(const std::vector<double>& costs, int index, int count);

// The plan's points of the slice (point_cost of each point's scenario),
// keeping their indices in the whole sweep.
SweepPlan shard_plan(const SweepPlan& plan, const ShardSpec& shard);

// The result's "shard" object: {"index", "count", "points": [indices]}.
nlohmann::json shard_json(const ShardSpec& shard, const SweepPlan& shard_plan);

}  // namespace forksim
