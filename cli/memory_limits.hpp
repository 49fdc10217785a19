// The memory a run may use, from every limit the process lives under: the
// machine's RAM, the address-space rlimit (ulimit -v) and the memory
// cgroup (v1 or v2, the smallest limit on the way up the hierarchy). A
// budget that ignores the last two lets a limited run die of bad_alloc
// with no report.
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace forksim {

// A file's text, or nothing if it cannot be read (the cgroup files).
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// The smallest memory limit, in bytes, of the cgroups named by
// /proc/self/cgroup's text `proc_cgroup`: v2's memory.max and v1's
// memory.limit_in_bytes, read through `read` under /sys/fs/cgroup for the
// process's cgroup and each of its ancestors. 0 when none is set ("max",
// or v1's "unlimited" of about 2^63). Pure, for the tests.
double cgroup_memory_limit_bytes(const std::string& proc_cgroup, const FileReader& read);

struct MemoryLimits {
  double ram_mb = 0;        // physical memory
  double cgroup_mb = 0;     // 0: no cgroup limit
  double rlimit_as_mb = 0;  // 0: RLIMIT_AS unlimited
  // The smallest of the three (ignoring the unset ones) and its name.
  double smallest_mb() const;
  std::string smallest_name() const;
};

// This process's limits.
MemoryLimits memory_limits();

// This process's resident set and address-space size now, from
// /proc/self/statm (0 if unreadable).
struct MemoryUse {
  double resident_mb = 0;
  double virtual_mb = 0;
};
MemoryUse memory_use();

}  // namespace forksim
