// exec in exec.c's order, timed exactly: a vfork child's exec does the
// lookup, the open, the header reads and the argument copy (out of the
// parent's address space, which it still borrows) before exec_args calls
// relvm(), so the parent waits in vfwait for all four and no more; the new
// address space and the image's mappings come after it is released.
#include <catch2/catch.hpp>

#include <vector>

#include "models/kernel.hpp"
#include "tests/timeline.hpp"

using namespace forksim;
using forksim::test::exactly;
using forksim::test::now;

namespace {

struct Times {
  double parent_back = -1, exec_start = -1, exec_end = -1;
  Err exec_err = Err::EINVAL_;
};

// Each exec step a power of two of microseconds, so that every partial sum
// says which steps it holds; every other cost, dispatches included, is free.
KernelConfig exec_machine() {
  KernelConfig s;
  s.machine.ncpus = 2;
  s.costs = {{"*", Dist::fixed(0)},           {"exec_lookup", Dist::fixed(1000)},
             {"exec_open", Dist::fixed(2000)}, {"exec_header", Dist::fixed(4000)},
             {"exec_args", Dist::fixed(8000)}, {"exec_relvm_vfork", Dist::fixed(16000)},
             {"exec_new_as", Dist::fixed(32000)}, {"exec_load", Dist::fixed(64000)},
             {"exec_finish", Dist::fixed(128000)}};
  return s;
}

Co<void> child(Kernel& k, Proc& c, Times& tm) {
  Kthread& t = *c.thread;
  co_await t.block();  // made runnable by the parent's vfork; now on the other CPU
  tm.exec_start = now();
  tm.exec_err = co_await k.exec(c, 1, 1);
  co_await t.flush();
  tm.exec_end = now();
  co_await k.exit_proc(c, t);
}

Co<void> parent(Kernel& k, Proc& p, Times& tm) {
  Kthread& t = *p.thread;
  co_await k.dispatcher().run(t);
  ForkResult r = co_await k.cfork(p, t, ForkPath::Vfork, 0);
  REQUIRE(r.err == Err::Ok);
  co_await t.flush();
  tm.parent_back = now();
  co_await k.wait_child(p, t);
  co_await k.exit_proc(p, t);
}

}  // namespace

TEST_CASE("a vfork parent waits for exec's lookup, open, header and argument copy, not its image",
          "[model][exec]") {
  KernelConfig s = exec_machine();
  Probes probes = forksim::test::probes_over(0, 1);
  SimEngine eng;
  Kernel k(s, probes);
  Times tm;
  k.on_child = [&](Proc& c) { spawn(child(k, c, tm)); };
  Proc* p = k.create_initial_proc(100, false, 2, 2, 1, 16, false);
  REQUIRE(p != nullptr);
  spawn(parent(k, *p, tm));
  eng.run();
  CHECK(tm.exec_err == Err::Ok);
  CHECK(tm.exec_start == exactly(0));
  // lookup + open + header + arguments + relvm's release: 1 + 2 + 4 + 8 + 16 us.
  CHECK(tm.parent_back == exactly(31e-6));
  // The new address space, the image and exec_common's tail follow: 255 us in all.
  CHECK(tm.exec_end == exactly(255e-6));
  CHECK(k.locks_held() == 0);
}
