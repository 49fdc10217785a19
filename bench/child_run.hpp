// Running one forksim process as a user would (fork/execv, no shell) and
// measuring it from outside: its wall time (steady clock from fork to
// reaping), its peak RSS (wait4's ru_maxrss, which covers the process and
// every descendant it reaped) and its RSS over time (/proc/<pid>/status).
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bench {

struct RssSample {
  double t_s;
  double mib;
};

struct ChildRun {
  bool exited = false;  // exited normally (rather than killed by a signal)
  int code = 0;         // exit status, or the signal that killed it
  double wall_s = 0;
  double maxrss_mib = 0;
  double cpu_s = 0;  // user + system time of it and its reaped descendants
  std::vector<RssSample> rss;
};

struct ChildOptions {
  std::string stdout_path;  // where its stdout goes; empty: /dev/null
  double period_s = 0.5;    // between RSS samples (and calls of on_sample)
  // Called at each sample with the child's pid, while it runs.
  std::function<void(pid_t)> on_sample;
};

double since(std::chrono::steady_clock::time_point t0);

// VmRSS of a live process in MiB; nothing once it has exited.
std::optional<double> vm_rss_mib(pid_t pid);

// Runs args[0] with args, its stderr to stderr_path, stdout as options say.
// Waits in sigtimedwait() on SIGCHLD so that RSS can be sampled every
// period while the end is still seen at once: the wall time is not rounded
// to the sampling period.
ChildRun run_child(const std::vector<std::string>& args, const std::string& stderr_path,
                   const ChildOptions& options = {});

// A new directory $TMPDIR/PREFIX.XXXXXX (/tmp without TMPDIR) for the runs' files.
std::filesystem::path make_temp_dir(const std::string& prefix);

// The last `chars` characters of a file ("..." first when cut).
std::string file_tail(const std::string& path, size_t chars);

}  // namespace bench
