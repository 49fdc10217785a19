#include "calibrate/host_info.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

namespace forksim {

HostInfo host_info() {
  HostInfo h;
  utsname u{};
  if (uname(&u) == 0) {
    h.host = u.nodename;
    h.system = u.sysname;
    h.kernel = std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  h.date = b;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    h.ncpus = CPU_COUNT(&set);
  else
    h.ncpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (h.ncpus < 1) h.ncpus = 1;
  h.physmem_mb = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
  std::ifstream smaps("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(smaps, line))
    if (line.rfind("Anonymous:", 0) == 0) {
      std::istringstream in(line.substr(10));
      double kb = 0;
      in >> kb;
      h.own_anon_mb = kb / 1024;
    }
  return h;
}

nlohmann::json host_info_json(const HostInfo& h) {
  return {{"host", h.host},   {"kernel", h.kernel},         {"system", h.system},
          {"date", h.date},   {"ncpus", h.ncpus},           {"physmem_mb", h.physmem_mb},
          {"own_anon_mb", h.own_anon_mb}};
}

}  // namespace forksim
