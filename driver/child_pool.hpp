// Runs functions in child processes, a bounded number at a time.
//
// SimGrid allows one engine per process, so every simulation of a
// replicated run or a sweep is its own process: the pool fork()s (no exec,
// so the same code runs whether the caller is the forksim binary or a test
// binary), the child runs the function and writes the JSON it returns to a
// memfd the parent made for it, and the parent reads it back when the child
// has exited. The parent must not have started a
// SimGrid engine itself (the child would inherit it half-made).
//
// A child dies with the pool's process (PR_SET_PDEATHSIG): a driver killed
// outright leaves no run going on unseen.
//
// The pool knows nothing of what the function does; the driver gives it
// closures that run a scenario. Results come back in completion order with
// the id the caller gave; a caller that wants a fixed order sorts by id, so
// the answer never depends on which child finished first.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <sys/types.h>

namespace forksim {

struct ChildOutcome {
  uint64_t id = 0;
  // The function's result; absent when the child failed, or when the pool
  // keeps results as text (then `result_text` has it, unparsed).
  std::optional<nlohmann::json> result;
  // The child's exit status (0 when it returned; 128 + the signal when a
  // signal ended it), and, on failure, what it said or what killed it.
  int status = 0;
  std::string error;
  std::string result_text;
};

// Parses o.result_text into o.result (the text is left empty); a text that
// is not JSON leaves no result and says so in o.error.
void parse_result(ChildOutcome& o);

class ChildPool {
 public:
  // `jobs` >= 1: how many children may run at once. With `parse_results`
  // false, results come back as text for the caller to pass on (an MPI
  // worker forwards them to rank 0, which parses them once).
  explicit ChildPool(int jobs, bool parse_results = true);
  // Kills (SIGKILL) and reaps any child still running.
  ~ChildPool();
  ChildPool(const ChildPool&) = delete;
  ChildPool& operator=(const ChildPool&) = delete;

  int jobs() const { return jobs_; }
  std::size_t running() const { return running_.size(); }
  bool full() const { return static_cast<int>(running_.size()) >= jobs_; }

  // Starts fn in a child; the caller checks full() first (a full pool
  // throws std::logic_error). fn's return value is the outcome's result; an
  // exception it throws becomes status `fail_status` (default 1) with the
  // exception's message as `error`. The child's exit status is what
  // `exit_status` (when set) makes of the result, so a run stopped by a
  // budget can say 3 and still return its partial report.
  void start(uint64_t id, std::function<nlohmann::json()> fn,
             std::function<int(const nlohmann::json&)> exit_status = {});

  // Waits for one child to end and returns what it did; nullopt when none
  // is running. With `interruptible`, it also returns nullopt early when a
  // signal handler ran (even one installed with SA_RESTART, which would
  // restart a plain waitpid) or after at most 0.1 s, so that the caller can
  // look at its flag.
  std::optional<ChildOutcome> wait_one(bool interruptible = false);

  // Sends sig to every running child (SIGINT to stop them cleanly).
  void signal_all(int sig);

 private:
  int jobs_;
  bool parse_results_;
  struct Running {
    uint64_t id;
    int fd;  // a memfd: what the child writes back
  };
  std::map<pid_t, Running> running_;
};

// The number of CPUs this process may run on (sched_getaffinity), at least 1.
int available_cpus();

}  // namespace forksim
