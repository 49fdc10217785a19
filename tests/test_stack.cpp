// The engine's native stack depth is bounded in every build type (sim/coro.hpp,
// transfer()): GCC at -O0 and with ASan does not make symmetric transfer a
// tail call, so before the bound a thread that went on without waiting for
// a long run of calls nested a native frame per call and overflowed the
// stack. The order of resumption must stay symmetric transfer's.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/coro.hpp"
#include "sim/engine.hpp"
#include "tests/support.hpp"

using namespace forksim;

namespace {

struct StackSpan {
  std::uintptr_t lo = UINTPTR_MAX, hi = 0;
  [[gnu::noinline]] void probe() {
    auto a = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    lo = std::min(lo, a);
    hi = std::max(hi, a);
  }
};

Co<int> at_once(StackSpan& span, int i) {
  span.probe();
  co_return i;
}

Co<void> chain(StackSpan& span, int n, long& sum) {
  for (int i = 0; i < n; ++i) sum += co_await at_once(span, i);
}

Co<void> logged_chain(std::vector<std::string>& log, std::string name, int n) {
  StackSpan span;
  for (int i = 0; i < n; ++i)
    if (co_await at_once(span, i) % 500 == 0) log.push_back(name + std::to_string(i));
  co_await SimEngine::wait_for(1.0);
  log.push_back(name + " done");
}

// Sets the soft stack limit for the processes started while it lives.
struct StackLimit {
  rlimit old{};
  explicit StackLimit(rlim_t bytes) {
    getrlimit(RLIMIT_STACK, &old);
    rlimit r = old;
    r.rlim_cur = bytes;
    setrlimit(RLIMIT_STACK, &r);
  }
  ~StackLimit() { setrlimit(RLIMIT_STACK, &old); }
};

}  // namespace

TEST_CASE("a long chain of calls that finish at once keeps the native stack bounded", "[engine][stack]") {
  SimEngine eng;
  StackSpan span;
  long sum = 0;
  // 40,000 transfers: 2.5 MB of nested frames at GCC -O0's 64 bytes each,
  // far more under ASan; cut every kMaxChain transfers, a few KB.
  spawn(chain(span, 20000, sum));
  eng.run();
  CHECK(sum == 20000L * 19999 / 2);
  INFO("native stack span " << span.hi - span.lo << " bytes");
  CHECK(span.hi - span.lo < 128 * 1024);
}

TEST_CASE("a chain cut for depth resumes in symmetric transfer's order", "[engine][stack]") {
  SimEngine eng;
  std::vector<std::string> log;
  // Each chain is 4,000 transfers, cut many times: nothing of b may run
  // before a waits, as with an uncut chain.
  spawn(logged_chain(log, "a", 2000));
  spawn(logged_chain(log, "b", 2000));
  eng.run();
  CHECK(log == std::vector<std::string>{"a0", "a500", "a1000", "a1500", "b0", "b500", "b1000",
                                        "b1500", "a done", "b done"});
}

// A lone fork bomb whose forks fail ENOMEM on the spot (as_dup cannot
// reserve the 3000 MB parent's copy) with immediate retry never waits for
// another thread: each wait ends first and is skipped (SimEngine::skip_to),
// so one chain runs a whole slice of 10 ms, ~19,000 transfers. Before the
// bound this overflowed 8 MB of stack under ASan (at duration_s=5) and a
// 512 KB one in a Debug build; now it needs almost none.
TEST_CASE("a fork bomb that never waits runs in a 512 KB stack", "[cli][stack]") {
  test::TempDir dir;
  test::Result r;
  {
    StackLimit limit(512 * 1024);
    r = test::run_cli(dir, {"run", "--quiet", "-o", "report.json", "--set", "workload.type=fork_bomb",
                            "--set", "workload.retry={\"policy\":\"immediate\"}",
                            "--set", "machine.physmem_mb=4096", "--set", "machine.swap_mb=1024",
                            "--set", "workload.parent.writable_mb=3000", "--set", "duration_s=10",
                            "--set", "warmup_s=0"});
  }
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  auto rep = nlohmann::json::parse(test::read_file(dir / "report.json"));
  CHECK(rep["paths"]["fork1"]["successes"] == 0);
  CHECK(rep["paths"]["fork1"]["failures"]["ENOMEM"].get<double>() > 1e5);
}
