#include "cli/memory_limits.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace forksim {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
// v1 writes "no limit" as the largest page-aligned signed 64-bit value;
// anything within a factor of two of it is no limit either.
constexpr double kNoLimit = 0x1p62;

// A limit file's value in bytes, or 0 for no limit or unreadable.
double limit_value(const std::optional<std::string>& text) {
  if (!text) return 0;
  std::istringstream in(*text);
  std::string word;
  in >> word;
  if (word.empty() || word == "max") return 0;
  char* end = nullptr;
  double v = std::strtod(word.c_str(), &end);
  if (*end != '\0' || !(v > 0) || v >= kNoLimit) return 0;
  return v;
}

// "/a/b" -> "/a/b", "/a", "" (the root).
std::vector<std::string> self_and_ancestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path != "/") {
    out.push_back(path);
    path = path.substr(0, path.rfind('/'));
  }
  out.push_back("");
  return out;
}

}  // namespace

double cgroup_memory_limit_bytes(const std::string& proc_cgroup, const FileReader& read) {
  double best = 0;
  auto take = [&best](double v) {
    if (v > 0 && (best == 0 || v < best)) best = v;
  };
  std::istringstream lines(proc_cgroup);
  for (std::string line; std::getline(lines, line);) {
    // hierarchy-id:controllers:path
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    bool v2 = line.compare(0, a, "0") == 0 && controllers.empty();
    bool v1_memory = ("," + controllers + ",").find(",memory,") != std::string::npos;
    if (!v2 && !v1_memory) continue;
    const std::string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    const std::string file = v2 ? "/memory.max" : "/memory.limit_in_bytes";
    // In a container the path may be the host's, not under our mount: the
    // walk up ends at the mount's root, which is then the container's.
    for (const auto& p : self_and_ancestors(path)) take(limit_value(read(root + p + file)));
  }
  return best;
}

double MemoryLimits::smallest_mb() const {
  double m = ram_mb;
  for (double v : {cgroup_mb, rlimit_as_mb})
    if (v > 0 && (m <= 0 || v < m)) m = v;
  return m;
}

std::string MemoryLimits::smallest_name() const {
  double m = smallest_mb();
  if (m == cgroup_mb) return "the memory cgroup's limit";
  if (m == rlimit_as_mb) return "RLIMIT_AS (ulimit -v)";
  return "physical memory";
}

MemoryLimits memory_limits() {
  MemoryLimits l;
  l.ram_mb = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE) / kMiB;
  FileReader read = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  if (auto text = read("/proc/self/cgroup")) l.cgroup_mb = cgroup_memory_limit_bytes(*text, read) / kMiB;
  rlimit r{};
  if (getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
    l.rlimit_as_mb = static_cast<double>(r.rlim_cur) / kMiB;
  return l;
}

MemoryUse memory_use() {
  MemoryUse u;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return u;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return u;
  double page_mb = sysconf(_SC_PAGESIZE) / kMiB;
  u.resident_mb = resident * page_mb;
  u.virtual_mb = size * page_mb;
  return u;
}

}  // namespace forksim
