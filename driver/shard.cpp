#include "driver/shard.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "scenarios/json_text.hpp"

namespace forksim {
namespace {

// A positive integer, all of the text (no sign, no spaces).
bool read_count(const std::string& text, int& v) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

// Forks one top-level fork of the workload stands for: the fork and what
// its child forks in turn.
double tree_forks(const ChildSpec& c) {
  return 1 + (c.forks > 0 ? c.forks * tree_forks(*c.forks_child) : 0);
}

// Top-level forks (or, for service, requests) per simulated second the
// workload offers, before the machine's cap.
double offered_rate(const Workload& w, double cap) {
  constexpr double kShortest = 1e-6;  // a cycle of no time: the cap applies
  if (w.type == "closed") {
    double cycle = w.think_s.mean();
    if (w.parent.reap == "wait") cycle += w.child.cpu_s.mean() + w.child.lifetime_s.mean();
    return w.parents * w.parent.forking_lwps / std::max(cycle, kShortest) * tree_forks(w.child);
  }
  if (w.type == "open") return w.rate_per_s * tree_forks(w.child);
  if (w.type == "service")
    return w.rate_per_s + (w.forks ? tree_forks(w.child) / std::max(w.fork_every_s.mean(), kShortest) : 0);
  if (w.type == "interactive") return 1 / std::max(w.period_s, kShortest);
  return cap;  // fork_bomb
}

}  // namespace

ShardSpec parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  ShardSpec s;
  if (slash == std::string::npos || !read_count(text.substr(0, slash), s.index) ||
      !read_count(text.substr(slash + 1), s.count))
    throw ScenarioError("--shard", "must be I/N, two integers (the I-th of N slices, as "
                                   "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got '" +
                                       printable(text, 100) + "'");
  if (s.count < 1 || s.count > kMaxShards)
    throw ScenarioError("--shard", "N must be from 1 to " + std::to_string(kMaxShards) + ", got '" +
                                       printable(text, 100) + "'");
  if (s.index < 1 || s.index > s.count)
    throw ScenarioError("--shard", "I must be from 1 to N (slices count from 1, as --array=1-N "
                                   "numbers a job array), got '" + printable(text, 100) + "'");
  return s;
}

double point_cost(const Scenario& s) {
  const double cap = s.machine.ncpus * s.machine.cpu_speed * kForksPerCpuSecond;
  double rate = 0;
  for (const Workload* w : s.workloads()) rate += offered_rate(*w, cap);
  return kRunStartCost + s.duration_s * std::min(rate, cap);
}

std::vector<std::size_t> shard_points(const std::vector<double>& costs, int index, int count) {
  if (count < 1 || index < 1 || index > count)
    throw std::invalid_argument("shard_points: slice " + std::to_string(index) + " of " +
                                std::to_string(count));
  for (double c : costs)
    if (!std::isfinite(c) || c < 0) throw std::invalid_argument("shard_points: a cost not finite and >= 0");
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(static_cast<std::size_t>(count), 0.0);
  std::vector<std::size_t> mine;
  for (std::size_t i : order) {
    // The first least-loaded slice: min_element keeps the first of equals.
    const auto slice = std::min_element(load.begin(), load.end()) - load.begin();
    load[static_cast<std::size_t>(slice)] += costs[i];
    if (slice == index - 1) mine.push_back(i);
  }
  std::sort(mine.begin(), mine.end());
  return mine;
}

SweepPlan shard_plan(const SweepPlan& plan, const ShardSpec& shard) {
  std::vector<double> costs;
  for (const PointSpec& p : plan.specs) costs.push_back(point_cost(parse_scenario(p.raw)));
  SweepPlan part;
  part.base = plan.base;
  part.total = plan.total;
  for (std::size_t i : shard_points(costs, shard.index, shard.count)) {
    part.points.push_back(plan.points[i]);
    part.specs.push_back(plan.specs[i]);
    part.indices.push_back(plan.indices[i]);
  }
  return part;
}

nlohmann::json shard_json(const ShardSpec& shard, const SweepPlan& part) {
  return {{"index", shard.index}, {"count", shard.count}, {"points", part.indices}};
}

}  // namespace forksim
