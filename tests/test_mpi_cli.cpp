// forksim's --mpi options refused as bad input (exit 2, nothing written),
// whether or not this build has MPI; the runs over mpirun themselves are
// tests/mpi_check.py's (CTest label mpi).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "tests/support.hpp"

using forksim::test::run_cli;
using forksim::test::TempDir;

namespace {

const std::vector<std::string> kMpiSweep = {"sweep", "--vary", "machine.ncpus=1,2", "-o", "s.json"};

std::vector<std::string> with(std::vector<std::string> extra, std::vector<std::string> base = kMpiSweep) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

}  // namespace

TEST_CASE("sweep --mpi refuses --jobs, a bad --mpi-timeout-s, and --mpi-timeout-s alone", "[cli]") {
  TempDir d;
  auto r = run_cli(d, with({"--mpi", "--jobs", "2"}));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim sweep: --jobs cannot be used with --mpi: the worker ranks run one run each at a "
                 "time (mpirun -np N gives N - 1 at once)\n");
  r = run_cli(d, with({"--mpi", "--mpi-timeout-s", "0.1"}));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim sweep: --mpi-timeout-s must be a number of seconds from 0.5 to 86400, got '0.1'\n");
  r = run_cli(d, with({"--mpi-timeout-s", "5"}));
  CHECK(r.status == 2);
  CHECK(r.err == "forksim sweep: --mpi-timeout-s goes with --mpi\n");
  r = run_cli(d, {"run", "--mpi"});
  CHECK(r.status == 2);
  CHECK(r.err == "forksim run: --mpi goes with --replications or --precision\n");
  CHECK_FALSE(std::filesystem::exists(d / "s.json.partial.jsonl"));
}

// Tagged [mpi] (CTest label mpi, which the ASan build leaves out): with
// MPI built, forksim starts MPI here, whose own leaks LeakSanitizer reports.
TEST_CASE("sweep --mpi outside mpirun, or in a build without MPI, exits 2 saying why", "[mpi][cli]") {
  TempDir d;
  auto r = run_cli(d, with({"--mpi"}));
  CHECK(r.status == 2);
#ifdef FORKSIM_HAVE_MPI
  // One rank (MPI's singleton start): no worker to run anything.
  CHECK(r.err == "forksim sweep: --mpi needs at least 2 ranks (mpirun -np N with N >= 2): rank 0 hands out "
                 "the runs, the others run them\n");
#else
  CHECK(r.err == "forksim sweep: --mpi: forksim was built without MPI (install libopenmpi-dev and "
                 "libboost-mpi-dev, scripts/setup.sh does, and build again)\n");
#endif
  CHECK_FALSE(std::filesystem::exists(d / "s.json"));
  CHECK_FALSE(std::filesystem::exists(d / "s.json.partial.jsonl"));
}

#ifdef FORKSIM_HAVE_MPI
TEST_CASE("sweep --mpi refuses a FORKSIM_RUN_SERVER that is not a worker's socket", "[cli]") {
  TempDir d;
  for (const char* value : {"x", "0", "999", ""}) {
    setenv("FORKSIM_RUN_SERVER", value, 1);
    auto r = run_cli(d, with({"--mpi"}));
    unsetenv("FORKSIM_RUN_SERVER");
    CHECK(r.status == 2);
    CHECK(r.err == std::string("forksim sweep: FORKSIM_RUN_SERVER is forksim's own (an MPI worker sets it for its "
                               "run server), and '") + value + "' is not a socket's descriptor: unset it\n");
    CHECK_FALSE(std::filesystem::exists(d / "s.json.partial.jsonl"));
  }
}
#endif
