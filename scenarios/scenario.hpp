// The scenario: what machine, which tunables, what costs, which workload.
//
// A scenario is JSON (see README "Scenario format"). parse_scenario() checks
// every key (unknown keys, wrong types and impossible values are errors that
// name the dotted key and the reason), fills every default, and derives the
// illumos tunables that depend on the machine (max_nprocs from physmem, as
// param.c does). to_json() gives the resolved scenario back, every default
// filled in, so that parse_scenario(to_json(s)) == s. Without warmup_s the
// warm-up is a tenth of duration_s.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/config.hpp"
#include "sim/dist.hpp"

namespace forksim {

// Bad input. key is the dotted path ("machine.ncpus"), reason says why.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string key, std::string reason)
      : std::runtime_error(key.empty() ? reason : key + ": " + reason),
        key_(std::move(key)), reason_(std::move(reason)) {}
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }
 private:
  std::string key_, reason_;
};

// JSON: {"policy": "immediate"}, {"policy": "fixed", "delay_s": x} or
// {"policy": "exponential", "delay_s": x, "max_delay_s": y}; absent fields keep
// these defaults, fields the policy does not use are errors.
struct RetryPolicy {
  enum class Kind { Immediate, Fixed, Exponential };
  Kind kind = Kind::Exponential;
  double delay_s = 0.001;
  double max_delay_s = 1.0;
};

// JSON: absent or null = disabled; an object {"uid", "interval_s"} enables it.
struct AdminProbe {
  bool enabled = false;
  int uid = 0;
  double interval_s = 1.0;
};

// A child as a program: it execs (or not), runs cpu_s, forks `forks`
// children of its own spec `forks_child` one after another (a shell
// running commands: fork, wait, fork, wait), then lives lifetime_s off CPU
// and exits. JSON "forks": {"count": n, "child": {...}}; a tree is at most
// kMaxChildDepth levels of children below the workload's parent.
struct ChildSpec {
  Dist lifetime_s = Dist::fixed(0.001);  // off-CPU time (sleeping, I/O)
  Dist cpu_s = Dist::fixed(0);           // user-mode CPU work
  bool exec = true;
  double exec_writable_mb = 1;           // reservation of the exec'd image
  int forks = 0;
  std::shared_ptr<const ChildSpec> forks_child;  // set when forks > 0
  // Levels of children from this one down: 1 without forks.
  int depth() const { return forks > 0 ? 1 + forks_child->depth() : 1; }
};
constexpr int kMaxChildDepth = 8;

struct ParentSpec {
  int uid = 100;
  bool privileged = false;     // secpolicy_newproc passes; always true for uid 0
  double writable_mb = 2;      // private writable memory, all resident
  int lwps = 1;
  int forking_lwps = 1;        // closed: LWPs of each parent that fork, each in its own loop
  int open_files = 16;
  std::string sched_class = "TS";  // "TS" or "RT" (JSON key "class")
};

struct Workload {
  std::string name;              // a composite machine's group name; "" for a single workload
  std::string type = "closed";   // closed | open | fork_bomb | interactive
  std::string path = "fork1";    // fork1 | forkall | vfork
  int parents = 64;              // closed, open: pool size
  Dist think_s = Dist::exponential(0.01);  // closed
  double rate_per_s = 1000;      // open
  ChildSpec child;
  ParentSpec parent;
  // fork_bomb
  int initial = 1;
  RetryPolicy retry;
  AdminProbe admin_probe;
  // interactive: wakes at every multiple of period_s, runs cpu_s of user
  // CPU work, and measures the response (scheduled wake-up to end of work).
  double period_s = 0.1;
  Dist cpu_s = Dist::fixed(0.001);
};

struct Scenario {
  std::string name = "default";
  std::string description;
  uint64_t seed = 1;
  double duration_s = 10;
  double warmup_s = 1;
  double timeseries_s = 0.1;     // sampling period of the report's time series
  Machine machine;
  Tunables tunables;
  std::map<std::string, Dist> costs;  // explicit entries, "*" included
  // The machine runs `workload`, or, when `groups` is not empty (JSON
  // {"workload": {"groups": [...]}}), every one of the groups together and
  // `workload` is unused. Group names are unique, [a-z0-9_-]+.
  Workload workload;
  std::vector<Workload> groups;
  bool composite() const { return !groups.empty(); }
  // What runs: the groups, or the one workload.
  std::vector<const Workload*> workloads() const;

  nlohmann::json to_json() const;
  // What the kernel model takes of it.
  KernelConfig kernel_config() const { return {machine, tunables, costs, seed}; }
};

// Checks and resolves. Throws ScenarioError.
Scenario parse_scenario(const nlohmann::json& j);

// Parses scenario text (a file's bytes) into JSON with every check the file
// format has: nesting depth, duplicate keys, numbers out of double range,
// UTF-8, size (scenarios/json_text.hpp has the limits). `origin` names the
// source in messages. Throws ScenarioError, naming the key path when known.
nlohmann::json parse_scenario_text(std::string_view text, const std::string& origin);

// Applies "--set a.b.c=VALUE" to raw scenario JSON before parsing. VALUE is
// read as JSON, by parse_scenario_text's checks, when it is JSON (16, 1.5,
// true, {"dist":...}), else taken as a string; an object replaces the whole
// object at the key. Throws ScenarioError on a malformed assignment, and
// leaves `j` as it was.
void apply_override(nlohmann::json& j, const std::string& assignment);

// Applies "--unset a.b.c": removes the key from raw scenario JSON, so that
// its default applies. An absent key is no error; a malformed path is.
void apply_unset(nlohmann::json& j, const std::string& path);

// Reads a scenario file into JSON: a regular file (never waits on a FIFO or
// device) of at most 16 MiB, through parse_scenario_text. Throws
// ScenarioError naming the file.
nlohmann::json load_scenario_file(const std::string& path);

}  // namespace forksim
