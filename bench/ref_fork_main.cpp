// forksim_ref_fork C N T_seconds: the reference fork micro-model
// (bench/ref_fork.hpp) on forksim's engine, printing one line in the peer
// programs' format (forks= ... wall_s=, the event loop's own time), so that
// scripts/bench.sh --peers reads all four alike.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bench/ref_fork.hpp"

namespace {

bool parse_int(const char* s, long lo, long hi, long& out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: forksim_ref_fork C N T_seconds   (C CPUs, N parents, horizon T)\n";
  if (argc != 4) {
    std::fputs(usage, stderr);
    return 2;
  }
  long cpus = 0, parents = 0;
  if (!parse_int(argv[1], 1, 1 << 16, cpus)) {
    std::fprintf(stderr, "forksim_ref_fork: C must be an integer in [1, 65536], not '%s'\n%s", argv[1], usage);
    return 2;
  }
  if (!parse_int(argv[2], 1, 1 << 22, parents)) {
    std::fprintf(stderr, "forksim_ref_fork: N must be an integer in [1, 4194304], not '%s'\n%s", argv[2], usage);
    return 2;
  }
  char* end = nullptr;
  double t_s = std::strtod(argv[3], &end);
  if (end == argv[3] || *end || !std::isfinite(t_s) || t_s < 0 || t_s > 1e6) {
    std::fprintf(stderr, "forksim_ref_fork: T must be seconds in [0, 1e6], not '%s'\n%s", argv[3], usage);
    return 2;
  }
  try {
    auto horizon_us = static_cast<int64_t>(std::llround(t_s * 1e6));
    forksim::RefForkRun r = forksim::run_ref_fork(static_cast<int>(cpus), static_cast<int>(parents), horizon_us);
    std::printf("impl=forksim C=%ld N=%ld T=%g forks=%lld events=%llu rounds=%llu wall_s=%.3f\n", cpus, parents,
                static_cast<double>(horizon_us) / 1e6, static_cast<long long>(r.forks),
                static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.rounds), r.wall_s);
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forksim_ref_fork: %s\n", e.what());
    return 1;
  }
  return 0;
}
