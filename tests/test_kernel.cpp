// Kernel entry points no workload reaches: forksys with a bad subcode and
// cfork with bad flags (fork.c lines 146 and 173-176).
#include <catch2/catch.hpp>

#include "models/kernel.hpp"
#include "scenarios/scenario.hpp"
#include "sim/coro.hpp"
#include "sim/engine.hpp"

using namespace forksim;

namespace {

// The caller: p's own thread makes the three calls, then exits.
Co<void> forking_caller(Kernel& k, Proc& p, std::vector<ForkResult>& got) {
  Kthread& t = *p.thread;
  co_await k.dispatcher().run(t);
  got.push_back(co_await k.forksys(p, t, 3, 0));
  got.push_back(co_await k.cfork(p, t, ForkPath::Fork1, 0x4));
  got.push_back(co_await k.forksys(p, t, 0, FORK_NOSIGCHLD | FORK_WAITPID));
  co_await k.exit_proc(p, t);
}

}  // namespace

TEST_CASE("forksys with a bad subcode and cfork with bad flags fail EINVAL", "[model][kernel]") {
  Scenario s;
  Probes probes;
  probes.window_end_s = 1;
  SimEngine eng;
  Kernel k(s.kernel_config(), probes);
  Proc* p = k.create_initial_proc(100, false, 2, 2, 1, 16, false);
  REQUIRE(p != nullptr);
  int nproc = k.table().nproc();
  std::vector<ForkResult> got;
  spawn(forking_caller(k, *p, got));
  eng.run();
  REQUIRE(got.size() == 3);
  CHECK(got[0].err == Err::EINVAL_);
  CHECK(got[1].err == Err::EINVAL_);
  CHECK(got[2].err == Err::Ok);  // the two allowed flags
  // The failed calls took nothing; the good call's child (no workload runs
  // it here) outlives its parent, which init reaped: one for one.
  CHECK(k.table().nproc() == nproc);
  CHECK(k.locks_held() == 0);
}

// bomb_1m's budget of 1 KiB a process (docs/performance.md): a queued
// parent is its Proc, its Kthread and two coroutine frames, each in a pool
// class of 16 bytes. Growing either object is a choice to make knowingly.
TEST_CASE("a process and its thread stay within the fork bomb's memory budget", "[model][kernel]") {
  CHECK(sizeof(Proc) <= 368);
  CHECK(sizeof(Kthread) <= 176);
  CHECK(sizeof(KMutex) <= 56);  // three a process
}
