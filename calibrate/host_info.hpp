// What the calibration records of the host it measured: its name, kernel
// (uname), the date, the CPUs this process may use and the physical memory,
// and the private anonymous memory forksim itself has resident (which every
// fork it times copies besides the region it maps).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace forksim {

struct HostInfo {
  std::string host;     // uname nodename
  std::string kernel;   // "Linux 6.1.0-18-amd64 #1 SMP ... x86_64": sysname release version machine
  std::string system;   // uname sysname alone: "Linux"
  std::string date;     // UTC, ISO 8601
  int ncpus = 1;        // sched_getaffinity's count (sysconf's online CPUs without it)
  double physmem_mb = 0;
  double own_anon_mb = 0;  // /proc/self/smaps_rollup "Anonymous:" (0 where there is none)
};

HostInfo host_info();
nlohmann::json host_info_json(const HostInfo& h);

}  // namespace forksim
