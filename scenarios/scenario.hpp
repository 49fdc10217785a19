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

// JSON: {"policy": "immediate"}, {"policy": "fixed", "delay_s": x},
// {"policy": "exponential", "delay_s": x, "max_delay_s": y} or
// {"policy": "bash"} (bash's make_child: on EAGAIN sleep 1, 2, 4, 8 s, then
// give up); absent fields keep these defaults, fields the policy does not
// use are errors. "jitter": j multiplies each delay by a uniform factor in
// [1-j, 1+j] (0: none; not on immediate, which has no delay).
struct RetryPolicy {
  enum class Kind { Immediate, Fixed, Exponential, Bash };
  Kind kind = Kind::Exponential;
  double delay_s = 0.001;
  double max_delay_s = 1.0;
  double jitter = 0;
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
  // The exec'd image's private writable memory: reserved when it maps it,
  // and resident (what its exit frees). "exec_writable_mb" sets both.
  double exec_reserved_mb = 1;
  double exec_resident_mb = 1;
  int forks = 0;
  std::shared_ptr<const ChildSpec> forks_child;  // set when forks > 0
  // Levels of children from this one down: 1 without forks.
  int depth() const { return forks > 0 ? 1 + forks_child->depth() : 1; }
};
constexpr int kMaxChildDepth = 8;

struct ParentSpec {
  int uid = 100;
  bool privileged = false;     // secpolicy_newproc passes; always true for uid 0
  // Private writable memory: its whole size, which each fork reserves
  // against swap (anon_resv), and the pages present, which as_dup
  // write-protects (its cost per page). "writable_mb" sets both.
  double reserved_mb = 2;
  double resident_mb = 2;
  // closed: MB written per second of think time, swept sequentially over
  // the resident pages; after a fork each first write to a page faults.
  double writes_mb_per_s = 0;
  // closed: "wait" reaps the child right after the fork; "before_next_fork"
  // thinks (and writes) while the child lives and reaps it before the next
  // fork, as a server that forks a snapshot does.
  std::string reap = "wait";
  int lwps = 1;                // service: the worker LWPs, besides the main one
  int forking_lwps = 1;        // closed: LWPs of each parent that fork, each in its own loop
  int open_files = 16;
  std::string sched_class = "TS";  // "TS" or "RT" (JSON key "class")
};

struct Workload {
  std::string name;              // a composite machine's group name; "" for a single workload
  std::string type = "closed";   // closed | open | fork_bomb | service | interactive
  std::string path = "fork1";    // fork1 | forkall | vfork
  int parents = 64;              // closed, open: pool size
  Dist think_s = Dist::exponential(0.01);  // closed
  double rate_per_s = 1000;      // open, service: Poisson arrivals
  // service: each request's user CPU work; the main LWP's gap between
  // forks (absent, JSON null: it never forks).
  Dist service_s = Dist::exponential(0.0005);
  bool forks = false;
  Dist fork_every_s = Dist::fixed(1);
  // service: MB each request writes once served, in its parent's resident
  // pages (a sweep, as writes_mb_per_s): after a fork its first writes fault.
  double write_mb_per_request = 0;
  ChildSpec child;
  ParentSpec parent;
  // fork_bomb
  int initial = 1;
  int fan_out = 0;               // children each process makes; 0: fork for ever
  bool exit_after_fork = false;  // after its fan_out children the process exits
  RetryPolicy retry;
  AdminProbe admin_probe;
  // interactive: wakes at every multiple of period_s, runs cpu_s of user
  // CPU work, and measures the response (scheduled wake-up to end of work).
  double period_s = 0.1;
  Dist cpu_s = Dist::fixed(0.001);
};

// warmup_s "auto" needs this many time-series samples (duration_s /
// timeseries_s) to choose a cut from.
constexpr int kAutoWarmupMinSamples = 20;

struct Scenario {
  std::string name = "default";
  std::string description;
  uint64_t seed = 1;
  double duration_s = 10;
  double warmup_s = 1;
  // warmup_s "auto": the command that runs the scenario picks the cut
  // (MSER-5 on a pilot run, cli/auto_warmup.hpp) and sets warmup_s to it;
  // the model only ever sees the number. to_json() keeps "auto".
  bool warmup_auto = false;
  double timeseries_s = 0.1;     // sampling period of the report's time series
  Machine machine;
  Tunables tunables;
  std::map<std::string, Dist> costs;  // explicit entries, "*" included
  KernelVariant kernel;          // default: the illumos code as it is
  // Where the costs were measured (scenarios/calibration_key.hpp), as
  // `forksim calibrate` wrote it; null when the scenario has none.
  nlohmann::json calibration;
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
  KernelConfig kernel_config() const { return {machine, tunables, costs, seed, kernel}; }
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
