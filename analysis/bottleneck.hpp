// The bottleneck at a point of a sweep: the resource with the highest
// utilization there, the CPUs ("cpu.utilization", the fraction of all CPUs'
// time busy) or a lock by name. A lock with many instances (p_lock, one per
// process) counts by its busiest instance ("locks.NAME.utilization_max"),
// as a queue forms at one instance, not at their sum; a lock without that
// figure by "locks.NAME.utilization".
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace forksim {

struct Bottleneck {
  std::string resource;  // "cpu" or the lock's name
  double utilization = 0;
  std::map<std::string, double> utilizations;  // every resource's
  // Of the CPUs' busy time, the fractions spent by waiters spinning on
  // each lock ("locks.NAME.spin_cpu_s" / "cpu.busy_s"), where it is not
  // 0: busy CPUs that spin are a lock's queue, not work the CPUs limit.
  std::map<std::string, double> cpu_spinning;
};

// From dotted metric names to values (a report's numeric_metrics, or the
// means of a sweep point's intervals); nothing when no utilization is there.
std::optional<Bottleneck> find_bottleneck(const std::map<std::string, double>& metrics);

// {"resource", "utilization"} (with "cpu_spinning": {"total", "by_lock"}
// when the resource is the CPUs and waiters spun) and, separately,
// {"cpu": .., "pidlock": .., ...}.
nlohmann::json bottleneck_json(const Bottleneck& b);
nlohmann::json utilizations_json(const Bottleneck& b);

}  // namespace forksim
